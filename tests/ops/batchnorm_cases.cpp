// Batch norm (training forward with running statistics, inference forward, backward) on the target
// against the reference, over [N, C] and [N, C, H, W].
//
// The CUDA backend sums each channel in double and then applies the same float formulas with the
// same roundings as the CPU; only the order of the double sums differs, so a statistic may differ
// by an ulp after rounding to float, and the outputs by a few ulps of their scale.
#include <cmath>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

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

void check_batchnorm(OpTarget& target, const BnCase& t, uint32_t seed) {
  const auto& s = t.shape;
  CAPTURE(target.name(), s);
  const int64_t c = s[1];
  int64_t total = 1;
  for (int64_t d : s) total *= d;
  const size_t nt = static_cast<size_t>(total), nc = static_cast<size_t>(c);
  // A mean away from zero and unequal scales per element, so the mean subtraction matters.
  auto x = uniform(nt, -1, 3, seed);
  auto dy = uniform(nt, -1, 1, seed + 1);
  auto gamma = uniform(nc, 0.5f, 1.5f, seed + 2);
  auto beta = uniform(nc, -0.5f, 0.5f, seed + 3);
  auto rmean0 = uniform(nc, -0.2f, 0.2f, seed + 4);
  auto rvar0 = uniform(nc, 0.5f, 2.0f, seed + 5);
  const BatchNormParams p{0.1f, 1e-5f};

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
  Guarded<float> gx(mem, x), gdy(mem, dy), ggamma(mem, gamma), gbeta(mem, beta),
      grmean(mem, rmean0), grvar(mem, rvar0);
  Guarded<float> gy(mem, nt), gsmean(mem, nc), gsinv(mem, nc), gyi(mem, nt), gdx(mem, nt),
      gdg(mem, nc), gdb(mem, nc);
  target.run([&](Backend& dev) {
    dev.batchnorm_forward_train(view(gx.data(), s, td), ggamma.tensor({c}), gbeta.tensor({c}),
                                grmean.tensor({c}), grvar.tensor({c}), view(gy.data(), s, td),
                                gsmean.tensor({c}), gsinv.tensor({c}), p);
  });
  target.expect_close(gsmean.read(), smean_ref, kStat, "save_mean");
  target.expect_close(gsinv.read(), sinv_ref, kStat, "save_invstd");
  target.expect_close(grmean.read(), rmean, kStat, "running_mean");
  target.expect_close(grvar.read(), rvar, kStat, "running_var");
  target.expect_close(gy.read(), y_ref, kOut, "y (train)");

  // Inference from the running statistics; the same float formula on identical inputs (the
  // running statistics are re-uploaded from the reference's, so only the op itself is compared).
  grmean.upload(rmean);
  grvar.upload(rvar);
  target.run([&](Backend& dev) {
    dev.batchnorm_forward_infer(view(gx.data(), s, td), ggamma.tensor({c}), gbeta.tensor({c}),
                                grmean.tensor({c}), grvar.tensor({c}), view(gyi.data(), s, td), p);
  });
  target.expect_close(gyi.read(), yi_ref, kOneUlp, "y (infer)");

  // Backward from the reference's saved statistics, likewise.
  gsmean.upload(smean_ref);
  gsinv.upload(sinv_ref);
  target.run([&](Backend& dev) {
    dev.batchnorm_backward(view(gx.data(), s, td), view(gdy.data(), s, td), ggamma.tensor({c}),
                           gsmean.tensor({c}), gsinv.tensor({c}), view(gdx.data(), s, td),
                           gdg.tensor({c}), gdb.tensor({c}));
  });
  target.expect_close(gdx.read(), dx_ref, kOut, "dx");
  // Sums over the channel's N*H*W values, in double: an ulp of their magnitude.
  target.expect_close(gdg.read(), dg_ref, Tolerance{1e-5, 1e-6}, "dgamma");
  target.expect_close(gdb.read(), db_ref, Tolerance{1e-5, 1e-6}, "dbeta");

  for (const auto* g :
       {&gx, &gdy, &ggamma, &gbeta, &grmean, &grvar, &gy, &gsmean, &gsinv, &gyi, &gdx, &gdg, &gdb})
    g->check_guards("batchnorm");
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
