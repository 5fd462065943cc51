// Batch norm (training forward with running statistics, inference forward, backward) on the target
// against the reference, over [N, C] and [N, C, H, W].
//
// The CUDA backend sums each channel in double and then applies the same float formulas with the
// same roundings as the CPU; only the order of the double sums differs, so a statistic may differ
// by an ulp after rounding to float, and the outputs by a few ulps of their scale.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"
#include "ops/target_scalars.hpp"

namespace emnist::test {
namespace {

struct BnCase {
  std::vector<int64_t> shape;  // [N, C] or [N, C, H, W]
};

Tensor view(float* data, const std::vector<int64_t>& s, Device d) {
  return s.size() == 2 ? Tensor(data, {s[0], s[1]}, d) : Tensor(data, {s[0], s[1], s[2], s[3]}, d);
}

// Statistics rounded from double: an ulp. Outputs and gradients of order 1: a few ulps absolute.
constexpr Tolerance kStat{1e-7, 4e-7};
constexpr Tolerance kOut{2e-6, 1e-5};

// A case's inputs for shape s ([N, C] or [N, C, H, W]): x in [-1, x_max), the rest fixed ranges.
struct BnInputs {
  int64_t c;
  size_t nt, nc;
  std::vector<float> x, dy, gamma, beta, rmean0, rvar0;

  BnInputs(const std::vector<int64_t>& s, float x_max, uint32_t seed)
      : c(s[1]),
        nt(count(s)),
        nc(static_cast<size_t>(c)),
        x(uniform(nt, -1, x_max, seed)),
        dy(uniform(nt, -1, 1, seed + 1)),
        gamma(uniform(nc, 0.5f, 1.5f, seed + 2)),
        beta(uniform(nc, -0.5f, 0.5f, seed + 3)),
        rmean0(uniform(nc, -0.2f, 0.2f, seed + 4)),
        rvar0(uniform(nc, 0.5f, 2.0f, seed + 5)) {}
  static size_t count(const std::vector<int64_t>& s) {
    int64_t total = 1;
    for (int64_t d : s) total *= d;
    return static_cast<size_t>(total);
  }
};

// A case in the target's memory, with guard regions: its inputs and room for every output.
struct BnOnTarget {
  Guarded<float> x, dy, gamma, beta, rmean, rvar, y, smean, sinv, yi, dx, dg, db;

  BnOnTarget(Backend& mem, const BnInputs& in)
      : x(mem, in.x),
        dy(mem, in.dy),
        gamma(mem, in.gamma),
        beta(mem, in.beta),
        rmean(mem, in.rmean0),
        rvar(mem, in.rvar0),
        y(mem, in.nt),
        smean(mem, in.nc),
        sinv(mem, in.nc),
        yi(mem, in.nt),
        dx(mem, in.nt),
        dg(mem, in.nc),
        db(mem, in.nc) {}
  void forward_train(OpTarget& target, const std::vector<int64_t>& s, const BatchNormParams& p) {
    const int64_t c = s[1];
    target.run([&](Backend& dev) {
      const Device d = dev.device();
      dev.batchnorm_forward_train(view(x.data(), s, d), gamma.tensor({c}), beta.tensor({c}),
                                  rmean.tensor({c}), rvar.tensor({c}), view(y.data(), s, d),
                                  smean.tensor({c}), sinv.tensor({c}), p);
    });
  }
  // From the given running statistics (the reference's, so that only the op itself is compared).
  void forward_infer(OpTarget& target, const std::vector<int64_t>& s,
                     const std::vector<float>& running_mean, const std::vector<float>& running_var,
                     const BatchNormParams& p) {
    const int64_t c = s[1];
    rmean.upload(running_mean);
    rvar.upload(running_var);
    target.run([&](Backend& dev) {
      const Device d = dev.device();
      dev.batchnorm_forward_infer(view(x.data(), s, d), gamma.tensor({c}), beta.tensor({c}),
                                  rmean.tensor({c}), rvar.tensor({c}), view(yi.data(), s, d), p);
    });
  }
  // The statistics a training forward wrote, against the reference's.
  void expect_statistics(const OpTarget& target, const std::vector<float>& save_mean,
                         const std::vector<float>& save_invstd,
                         const std::vector<float>& running_mean,
                         const std::vector<float>& running_var) {
    target.expect_close(smean.read(), save_mean, kStat, "save_mean");
    target.expect_close(sinv.read(), save_invstd, kStat, "save_invstd");
    target.expect_close(rmean.read(), running_mean, kStat, "running_mean");
    target.expect_close(rvar.read(), running_var, kStat, "running_var");
  }
  void check_guards(const char* what) {
    for (auto* g : {&x, &dy, &gamma, &beta, &rmean, &rvar, &y, &smean, &sinv, &yi, &dx, &dg, &db})
      g->check_guards(what);
  }
};

void check_batchnorm(OpTarget& target, const BnCase& bn_case, uint32_t seed) {
  const auto& s = bn_case.shape;
  CAPTURE(target.name(), s);
  // A mean away from zero and unequal scales per element, so the mean subtraction matters.
  BnInputs in(s, 3, seed);
  const int64_t c = in.c;
  const size_t nt = in.nt, nc = in.nc;
  auto &x = in.x, &dy = in.dy, &gamma = in.gamma, &beta = in.beta;
  const auto &rmean0 = in.rmean0, &rvar0 = in.rvar0;
  const BatchNormParams p{0.1f, 1e-5f, false, {}, {}, {}};

  // ---- reference ----
  auto rmean = rmean0, rvar = rvar0;
  auto y_ref = nan_vector(nt), smean_ref = nan_vector(nc), sinv_ref = nan_vector(nc);
  auto yi_ref = nan_vector(nt), dx_ref = nan_vector(nt), dg_ref = nan_vector(nc),
       db_ref = nan_vector(nc);
  run_reference([&](Backend& ref) {
    const Device hd = Device::cpu;
    ref.batchnorm_forward_train(view(x.data(), s, hd), host_tensor(gamma, {c}),
                                host_tensor(beta, {c}), host_tensor(rmean, {c}),
                                host_tensor(rvar, {c}), view(y_ref.data(), s, hd),
                                host_tensor(smean_ref, {c}), host_tensor(sinv_ref, {c}), p);
    ref.batchnorm_forward_infer(view(x.data(), s, hd), host_tensor(gamma, {c}),
                                host_tensor(beta, {c}), host_tensor(rmean, {c}),
                                host_tensor(rvar, {c}), view(yi_ref.data(), s, hd), p);
    ref.batchnorm_backward(view(x.data(), s, hd), view(dy.data(), s, hd), host_tensor(gamma, {c}),
                           host_tensor(smean_ref, {c}), host_tensor(sinv_ref, {c}),
                           view(dx_ref.data(), s, hd), host_tensor(dg_ref, {c}),
                           host_tensor(db_ref, {c}));
  });

  // ---- target ----
  Backend& mem = target.backend();
  const Device td = mem.device();
  BnOnTarget t(mem, in);
  t.forward_train(target, s, p);
  t.expect_statistics(target, smean_ref, sinv_ref, rmean, rvar);
  target.expect_close(t.y.read(), y_ref, kOut, "y (train)");

  // Inference from the reference's running statistics: the same float formula on identical inputs.
  t.forward_infer(target, s, rmean, rvar, p);
  target.expect_close(t.yi.read(), yi_ref, kOneUlp, "y (infer)");

  // Backward from the reference's saved statistics, likewise.
  t.smean.upload(smean_ref);
  t.sinv.upload(sinv_ref);
  target.run([&](Backend& dev) {
    dev.batchnorm_backward(view(t.x.data(), s, td), view(t.dy.data(), s, td), t.gamma.tensor({c}),
                           t.smean.tensor({c}), t.sinv.tensor({c}), view(t.dx.data(), s, td),
                           t.dg.tensor({c}), t.db.tensor({c}));
  });
  target.expect_close(t.dx.read(), dx_ref, kOut, "dx");
  // Sums over the channel's N*H*W values, in double: an ulp of their magnitude.
  target.expect_close(t.dg.read(), dg_ref, Tolerance{1e-5, 1e-6}, "dgamma");
  target.expect_close(t.db.read(), db_ref, Tolerance{1e-5, 1e-6}, "dbeta");

  t.check_guards("batchnorm");
}

}  // namespace

OP_TEST_CASE("batchnorm: small case", "[batchnorm][sanitize]") {
  check_batchnorm(op_target(), {{3, 5, 7, 7}}, 41);
  check_batchnorm(op_target(), {{3, 5}}, 42);
}

OP_TEST_CASE("batchnorm: train, infer and backward match the CPU", "[batchnorm]") {
  const BnCase cases[] = {
      {{3, 5}},         {{37, 1}},         {{2, 512}},      {{128, 256}},        {{1, 3, 7, 7}},
      {{3, 5, 13, 13}}, {{37, 1, 28, 28}}, {{2, 3, 7, 13}}, {{128, 32, 28, 28}},
  };
  uint32_t seed = 4000;
  for (const BnCase& c : cases) check_batchnorm(op_target(), c, seed += 10);
}

OP_TEST_CASE("batchnorm: backward without dx (or without parameter gradients)", "[batchnorm]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const int64_t n = 4, c = 3, h = 5, w = 5;
  const size_t nt = static_cast<size_t>(n * c * h * w), nc = static_cast<size_t>(c);
  auto x = uniform(nt, -1, 1, 51), dy = uniform(nt, -1, 1, 52), gamma = uniform(nc, 0.5f, 1.5f, 53);
  auto mean = uniform(nc, -0.1f, 0.1f, 54), invstd = uniform(nc, 0.8f, 1.2f, 55);
  auto dg_ref = nan_vector(nc), db_ref = nan_vector(nc), dx_ref = nan_vector(nt);
  run_reference([&](Backend& ref) {
    ref.batchnorm_backward(host_tensor(x, {n, c, h, w}), host_tensor(dy, {n, c, h, w}),
                           host_tensor(gamma, {c}), host_tensor(mean, {c}),
                           host_tensor(invstd, {c}), Tensor{}, host_tensor(dg_ref, {c}),
                           host_tensor(db_ref, {c}));
    ref.batchnorm_backward(host_tensor(x, {n, c, h, w}), host_tensor(dy, {n, c, h, w}),
                           host_tensor(gamma, {c}), host_tensor(mean, {c}),
                           host_tensor(invstd, {c}), host_tensor(dx_ref, {n, c, h, w}), Tensor{},
                           Tensor{});
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x), gdy(mem, dy), ggamma(mem, gamma), gmean(mem, mean), ginv(mem, invstd),
      gdg(mem, nc), gdb(mem, nc), gdx(mem, nt);
  target.run([&](Backend& dev) {
    dev.batchnorm_backward(gx.tensor({n, c, h, w}), gdy.tensor({n, c, h, w}), ggamma.tensor({c}),
                           gmean.tensor({c}), ginv.tensor({c}), Tensor{}, gdg.tensor({c}),
                           gdb.tensor({c}));
  });
  target.expect_close(gdg.read(), dg_ref, Tolerance{1e-6, 1e-6}, "dgamma");
  target.expect_close(gdb.read(), db_ref, Tolerance{1e-6, 1e-6}, "dbeta");
  for (float v : gdx.read()) REQUIRE(std::isnan(v));  // dx empty: untouched
  target.run([&](Backend& dev) {
    dev.batchnorm_backward(gx.tensor({n, c, h, w}), gdy.tensor({n, c, h, w}), ggamma.tensor({c}),
                           gmean.tensor({c}), ginv.tensor({c}), gdx.tensor({n, c, h, w}), Tensor{},
                           Tensor{});
  });
  target.expect_close(gdx.read(), dx_ref, kOut, "dx");
  for (const auto* g : {&gx, &gdy, &ggamma, &gmean, &ginv, &gdg, &gdb, &gdx})
    g->check_guards("batchnorm backward");
}

}  // namespace emnist::test

namespace emnist::test {
namespace {

// Batch norm with the activation that follows it (BatchNormParams::activate), and with dropout
// after that (BatchNormParams::dropout, rate > 0), against batch norm, the activation and dropout
// as separate ops on the reference: forward in training (the output and the activated values kept
// for the backward) and inference (no dropout), and the backward through all of them. On the CPU
// the fused op must give the composition's bits (the same float formulas, the activation's
// gradient recomputed from x with the forward's coefficients, the same mask).
void check_batchnorm_activation(OpTarget& target, const std::vector<int64_t>& s, Activation a,
                                float rate, uint32_t seed) {
  CAPTURE(target.name(), s, choice_name(a.kind), rate);
  // Centred inputs and shifts of both signs: about half the outputs on each side of zero.
  BnInputs in(s, 1, seed);
  const int64_t c = in.c;
  const size_t nt = in.nt, nc = in.nc;
  auto &x = in.x, &dy = in.dy, &gamma = in.gamma, &beta = in.beta;
  const auto &rmean0 = in.rmean0, &rvar0 = in.rvar0;
  const bool dropping = rate > 0.0f;
  const uint64_t mask_seed = seed * 3 + 1;
  const uint32_t mask_layer = 5;
  StepScalars scalars;
  scalars.step = 17;
  const BatchNormParams plain{0.1f, 1e-5f, false, {}, {}, {}};
  BatchNormParams fused{0.1f, 1e-5f, true, a, {}, {}};

  auto rmean = rmean0, rvar = rvar0;
  auto act_ref = nan_vector(nt), y_ref = nan_vector(nt), yi_ref = nan_vector(nt),
       smean = nan_vector(nc), sinv = nan_vector(nc), dact = nan_vector(nt), e = nan_vector(nt),
       dx_ref = nan_vector(nt), dg_ref = nan_vector(nc), db_ref = nan_vector(nc);
  run_reference([&](Backend& ref) {
    const Device hd = Device::cpu;
    auto v = [&](std::vector<float>& data) { return view(data.data(), s, hd); };
    ref.batchnorm_forward_train(v(x), host_tensor(gamma, {c}), host_tensor(beta, {c}),
                                host_tensor(rmean, {c}), host_tensor(rvar, {c}), v(act_ref),
                                host_tensor(smean, {c}), host_tensor(sinv, {c}), plain);
    ref.activation_forward(a, v(act_ref), v(act_ref));
    y_ref = act_ref;
    if (dropping) ref.dropout_forward(v(act_ref), v(y_ref), rate, mask_seed, mask_layer, &scalars);
    ref.batchnorm_forward_infer(v(x), host_tensor(gamma, {c}), host_tensor(beta, {c}),
                                host_tensor(rmean, {c}), host_tensor(rvar, {c}), v(yi_ref), plain);
    ref.activation_forward(a, v(yi_ref), v(yi_ref));
    dact = dy;
    if (dropping) ref.dropout_backward(v(dy), v(dact), rate, mask_seed, mask_layer, &scalars);
    ref.activation_backward(a, v(act_ref), v(dact), v(e));
    ref.batchnorm_backward(v(x), v(e), host_tensor(gamma, {c}), host_tensor(smean, {c}),
                           host_tensor(sinv, {c}), v(dx_ref), host_tensor(dg_ref, {c}),
                           host_tensor(db_ref, {c}));
  });
  // Both activations' outputs have values on each side of zero, so each branch is compared.
  const auto negative =
      std::count_if(act_ref.begin(), act_ref.end(), [](float v) { return v <= 0; });
  CHECK(negative > 0);
  CHECK(negative < static_cast<std::ptrdiff_t>(nt));

  Backend& mem = target.backend();
  const Device td = mem.device();
  BnOnTarget t(mem, in);
  Guarded<float> activated(mem, nt);
  TargetScalars tscalars(mem);
  tscalars.upload(scalars);
  if (dropping) {
    // Dropped elements where the activation was not zero: the mask is compared, not only applied.
    size_t dropped = 0;
    for (size_t i = 0; i < nt; ++i) dropped += y_ref[i] == 0.0f && act_ref[i] != 0.0f;
    CHECK(dropped > 0);
    fused.dropout = {rate, mask_seed, mask_layer, tscalars.data(), view(activated.data(), s, td)};
  }
  t.forward_train(target, s, fused);
  target.expect_close(t.smean.read(), smean, kStat, "save_mean");
  target.expect_close(t.y.read(), y_ref, kOut, "y (train)");
  if (dropping) target.expect_close(activated.read(), act_ref, kOut, "activated (train)");
  t.forward_infer(target, s, rmean, rvar, fused);
  target.expect_close(t.yi.read(), yi_ref, kOneUlp, "y (infer)");

  // Backward from the reference's statistics and activated output, so that every activation's
  // gradient is taken on the same side of zero.
  t.smean.upload(smean);
  t.sinv.upload(sinv);
  Guarded<float>& activated_in = dropping ? activated : t.y;
  activated_in.upload(act_ref);
  target.run([&](Backend& dev) {
    dev.batchnorm_activation_backward(
        view(t.x.data(), s, td), view(activated_in.data(), s, td), view(t.dy.data(), s, td),
        t.gamma.tensor({c}), t.beta.tensor({c}), t.smean.tensor({c}), t.sinv.tensor({c}),
        view(t.dx.data(), s, td), t.dg.tensor({c}), t.db.tensor({c}), fused);
  });
  target.expect_close(t.dx.read(), dx_ref, kOut, "dx");
  target.expect_close(t.dg.read(), dg_ref, Tolerance{1e-5, 1e-6}, "dgamma");
  target.expect_close(t.db.read(), db_ref, Tolerance{1e-5, 1e-6}, "dbeta");
  t.check_guards("batchnorm with an activation");
  activated.check_guards("batchnorm with an activation: activated");
}

const Activation kActivations[] = {{ActivationKind::relu, 0.01f, 1.0f},
                                   {ActivationKind::leaky_relu, 0.1f, 1.0f},
                                   {ActivationKind::elu, 0.01f, 0.7f}};
const std::vector<int64_t> kShapes[] = {{37, 5}, {128, 256}, {3, 5, 7, 7}, {16, 32, 28, 28}};

}  // namespace

OP_TEST_CASE("batchnorm with an activation: the same as batch norm, then the activation",
             "[batchnorm]") {
  uint32_t seed = 4500;
  for (const Activation& a : kActivations)
    for (const auto& s : kShapes) check_batchnorm_activation(op_target(), s, a, 0.0f, seed += 10);
}

OP_TEST_CASE("batchnorm with an activation and dropout: the same as the three ops", "[batchnorm]") {
  uint32_t seed = 4700;
  for (const Activation& a : kActivations)
    for (const auto& s : kShapes) check_batchnorm_activation(op_target(), s, a, 0.3f, seed += 10);
}

namespace {

// Batch norm with a residual added before its activation (BatchNormParams::residual, a residual
// block's tail) against batch norm, the sum and the activation as separate steps on the
// reference, in training and in inference; with the identity too (no activation). On the CPU the
// fused op must give the composition's bits: the same float formulas, the sum rounded before the
// activation.
void check_batchnorm_residual(OpTarget& target, const std::vector<int64_t>& s, bool activate,
                              Activation a, uint32_t seed) {
  CAPTURE(target.name(), s, activate, choice_name(a.kind));
  BnInputs in(s, 1, seed);
  const int64_t c = in.c;
  const size_t nt = in.nt, nc = in.nc;
  // A shortcut of the outputs' scale, so that the sum crosses zero either way.
  const std::vector<float> shortcut = uniform(nt, -1.5f, 1.5f, seed + 7);
  const BatchNormParams plain{0.1f, 1e-5f, false, {}, {}, {}};

  auto rmean = in.rmean0, rvar = in.rvar0;
  auto y_ref = nan_vector(nt), yi_ref = nan_vector(nt), smean = nan_vector(nc),
       sinv = nan_vector(nc);
  run_reference([&](Backend& ref) {
    const Device hd = Device::cpu;
    auto v = [&](std::vector<float>& data) { return view(data.data(), s, hd); };
    const auto add_shortcut = [&](std::vector<float>& out) {
      for (size_t i = 0; i < nt; ++i) out[i] = out[i] + shortcut[i];
    };
    ref.batchnorm_forward_train(v(in.x), host_tensor(in.gamma, {c}), host_tensor(in.beta, {c}),
                                host_tensor(rmean, {c}), host_tensor(rvar, {c}), v(y_ref),
                                host_tensor(smean, {c}), host_tensor(sinv, {c}), plain);
    add_shortcut(y_ref);
    if (activate) ref.activation_forward(a, v(y_ref), v(y_ref));
    ref.batchnorm_forward_infer(v(in.x), host_tensor(in.gamma, {c}), host_tensor(in.beta, {c}),
                                host_tensor(rmean, {c}), host_tensor(rvar, {c}), v(yi_ref), plain);
    add_shortcut(yi_ref);
    if (activate) ref.activation_forward(a, v(yi_ref), v(yi_ref));
  });
  if (activate) {  // values on each side of zero: both branches of the activation are compared
    const auto negative = std::count_if(y_ref.begin(), y_ref.end(), [](float v) { return v <= 0; });
    CHECK(negative > 0);
    CHECK(negative < static_cast<std::ptrdiff_t>(nt));
  }

  Backend& mem = target.backend();
  BnOnTarget t(mem, in);
  Guarded<float> residual(mem, shortcut);
  BatchNormParams fused{0.1f, 1e-5f, activate, a, {}, {}};
  fused.residual = view(residual.data(), s, mem.device());
  t.forward_train(target, s, fused);
  t.expect_statistics(target, smean, sinv, rmean, rvar);
  target.expect_close(t.y.read(), y_ref, kOut, "y (train)");
  t.forward_infer(target, s, rmean, rvar, fused);
  target.expect_close(t.yi.read(), yi_ref, kOneUlp, "y (infer)");
  CHECK(residual.read() == shortcut);  // read, never written
  t.check_guards("batchnorm with a residual");
  residual.check_guards("batchnorm with a residual: residual");
}

}  // namespace

OP_TEST_CASE("batchnorm with a residual: the same as batch norm, add, then the activation",
             "[batchnorm]") {
  uint32_t seed = 4800;
  for (const Activation& a : kActivations)
    for (const auto& s : kShapes) check_batchnorm_residual(op_target(), s, true, a, seed += 10);
  check_batchnorm_residual(op_target(), {3, 5, 7, 7}, false, kActivations[0], seed += 10);
  check_batchnorm_residual(op_target(), {37, 5}, false, kActivations[0], seed += 10);
}

// An infinite input makes its channel's variance inf - inf: NaN, kept by the clamp at zero (not
// turned into 0, which would give a finite 1/sqrt(eps) scale), so that the statistics say what
// happened on every backend alike; the other channels are untouched by it.
OP_TEST_CASE("batchnorm: a channel holding an infinity gets NaN statistics, the others stay exact",
             "[batchnorm]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const std::vector<int64_t> s{3, 5, 7, 7};
  BnInputs in(s, 3, 4900);
  in.x[1 * 49 + 10] = std::numeric_limits<float>::infinity();  // sample 0, channel 1
  const BatchNormParams p{0.1f, 1e-5f, false, {}, {}, {}};
  auto rmean = in.rmean0, rvar = in.rvar0;
  auto y_ref = nan_vector(in.nt), smean_ref = nan_vector(in.nc), sinv_ref = nan_vector(in.nc);
  run_reference([&](Backend& ref) {
    ref.batchnorm_forward_train(view(in.x.data(), s, Device::cpu), host_tensor(in.gamma, {5}),
                                host_tensor(in.beta, {5}), host_tensor(rmean, {5}),
                                host_tensor(rvar, {5}), view(y_ref.data(), s, Device::cpu),
                                host_tensor(smean_ref, {5}), host_tensor(sinv_ref, {5}), p);
  });
  REQUIRE(std::isnan(sinv_ref[1]));  // what the backends are held to
  REQUIRE(std::isnan(rvar[1]));

  BnOnTarget t(target.backend(), in);
  t.forward_train(target, s, p);
  const std::vector<float> sinv = t.sinv.read(), rvar_got = t.rvar.read();
  CHECK(std::isnan(sinv[1]));
  CHECK(std::isnan(rvar_got[1]));
  const auto others = [](std::vector<float> v) {  // the channels without the infinity
    v.erase(v.begin() + 1);
    return v;
  };
  target.expect_close(others(sinv), others(sinv_ref), kStat, "save_invstd, other channels");
  target.expect_close(others(rvar_got), others(rvar), kStat, "running_var, other channels");
  t.check_guards("batchnorm");
}

}  // namespace emnist::test
