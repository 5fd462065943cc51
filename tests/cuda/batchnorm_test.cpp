// Batch norm (training forward with running statistics, inference forward, backward) on the CUDA
// backend against the CPU backend, over [N, C] and [N, C, H, W].
//
// Both sum each channel in double and then apply the same float formulas with the same roundings;
// only the order of the double sums differs, so a statistic may differ by an ulp after rounding to
// float, and the outputs by a few ulps of their scale.
#include <catch2/catch.hpp>

#include <cmath>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

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

void check_batchnorm(const BnCase& t, uint32_t seed) {
  const auto& s = t.shape;
  CAPTURE(s);
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

  // ---- CPU reference ----
  Backend& ref = cpu();
  auto rmean = rmean0, rvar = rvar0;
  auto y_ref = nan_vector(nt), smean_ref = nan_vector(nc), sinv_ref = nan_vector(nc);
  auto yi_ref = nan_vector(nt), dx_ref = nan_vector(nt), dg_ref = nan_vector(nc),
       db_ref = nan_vector(nc);
  const Device cpu_d = Device::cpu;
  ref.batchnorm_forward_train(view(x.data(), s, cpu_d), host_tensor(gamma, {c}),
                              host_tensor(beta, {c}), host_tensor(rmean, {c}),
                              host_tensor(rvar, {c}), view(y_ref.data(), s, cpu_d),
                              host_tensor(smean_ref, {c}), host_tensor(sinv_ref, {c}), p);
  ref.batchnorm_forward_infer(view(x.data(), s, cpu_d), host_tensor(gamma, {c}),
                              host_tensor(beta, {c}), host_tensor(rmean, {c}),
                              host_tensor(rvar, {c}), view(yi_ref.data(), s, cpu_d), p);
  ref.batchnorm_backward(view(x.data(), s, cpu_d), view(dy.data(), s, cpu_d),
                         host_tensor(gamma, {c}), host_tensor(smean_ref, {c}),
                         host_tensor(sinv_ref, {c}), view(dx_ref.data(), s, cpu_d),
                         host_tensor(dg_ref, {c}), host_tensor(db_ref, {c}));

  // ---- GPU ----
  Backend& dev = gpu();
  const Device gd = Device::cuda;
  Guarded<float> gx(dev, x), gdy(dev, dy), ggamma(dev, gamma), gbeta(dev, beta),
      grmean(dev, rmean0), grvar(dev, rvar0);
  Guarded<float> gy(dev, nt), gsmean(dev, nc), gsinv(dev, nc), gyi(dev, nt), gdx(dev, nt),
      gdg(dev, nc), gdb(dev, nc);
  dev.batchnorm_forward_train(view(gx.data(), s, gd), ggamma.tensor({c}), gbeta.tensor({c}),
                              grmean.tensor({c}), grvar.tensor({c}), view(gy.data(), s, gd),
                              gsmean.tensor({c}), gsinv.tensor({c}), p);
  expect_close(gsmean.read(), smean_ref, kStat, "save_mean");
  expect_close(gsinv.read(), sinv_ref, kStat, "save_invstd");
  expect_close(grmean.read(), rmean, kStat, "running_mean");
  expect_close(grvar.read(), rvar, kStat, "running_var");
  expect_close(gy.read(), y_ref, kOut, "y (train)");

  // Inference from the running statistics; the same float formula on identical inputs (the
  // running statistics are re-uploaded from the CPU's, so only the op itself is compared).
  grmean.upload(rmean);
  grvar.upload(rvar);
  dev.batchnorm_forward_infer(view(gx.data(), s, gd), ggamma.tensor({c}), gbeta.tensor({c}),
                              grmean.tensor({c}), grvar.tensor({c}), view(gyi.data(), s, gd), p);
  expect_close(gyi.read(), yi_ref, kOneUlp, "y (infer)");

  // Backward from the CPU's saved statistics, likewise.
  gsmean.upload(smean_ref);
  gsinv.upload(sinv_ref);
  dev.batchnorm_backward(view(gx.data(), s, gd), view(gdy.data(), s, gd), ggamma.tensor({c}),
                         gsmean.tensor({c}), gsinv.tensor({c}), view(gdx.data(), s, gd),
                         gdg.tensor({c}), gdb.tensor({c}));
  expect_close(gdx.read(), dx_ref, kOut, "dx");
  // Sums over the channel's N*H*W values, in double: an ulp of their magnitude.
  expect_close(gdg.read(), dg_ref, Tolerance{1e-5, 1e-6}, "dgamma");
  expect_close(gdb.read(), db_ref, Tolerance{1e-5, 1e-6}, "dbeta");

  for (const auto* g :
       {&gx, &gdy, &ggamma, &gbeta, &grmean, &grvar, &gy, &gsmean, &gsinv, &gyi, &gdx, &gdg, &gdb})
    g->check_guards("batchnorm");
}

}  // namespace

TEST_CASE("cuda batchnorm: small case", "[cuda][batchnorm][sanitize]") {
  check_batchnorm({{3, 5, 7, 7}}, 41);
  check_batchnorm({{3, 5}}, 42);
}

TEST_CASE("cuda batchnorm: train, infer and backward match the CPU", "[cuda][batchnorm]") {
  const BnCase cases[] = {
      {{3, 5}},         {{37, 1}},         {{2, 512}},      {{128, 256}},        {{1, 3, 7, 7}},
      {{3, 5, 13, 13}}, {{37, 1, 28, 28}}, {{2, 3, 7, 13}}, {{128, 32, 28, 28}},
  };
  uint32_t seed = 4000;
  for (const BnCase& c : cases) check_batchnorm(c, seed += 10);
}

TEST_CASE("cuda batchnorm: backward without dx (or without parameter gradients)",
          "[cuda][batchnorm]") {
  const int64_t n = 4, c = 3, h = 5, w = 5;
  const size_t nt = static_cast<size_t>(n * c * h * w), nc = static_cast<size_t>(c);
  auto x = uniform(nt, -1, 1, 51), dy = uniform(nt, -1, 1, 52), gamma = uniform(nc, 0.5f, 1.5f, 53);
  auto mean = uniform(nc, -0.1f, 0.1f, 54), invstd = uniform(nc, 0.8f, 1.2f, 55);
  auto dg_ref = nan_vector(nc), db_ref = nan_vector(nc), dx_ref = nan_vector(nt);
  cpu().batchnorm_backward(host_tensor(x, {n, c, h, w}), host_tensor(dy, {n, c, h, w}),
                           host_tensor(gamma, {c}), host_tensor(mean, {c}),
                           host_tensor(invstd, {c}), Tensor{}, host_tensor(dg_ref, {c}),
                           host_tensor(db_ref, {c}));
  cpu().batchnorm_backward(host_tensor(x, {n, c, h, w}), host_tensor(dy, {n, c, h, w}),
                           host_tensor(gamma, {c}), host_tensor(mean, {c}),
                           host_tensor(invstd, {c}), host_tensor(dx_ref, {n, c, h, w}), Tensor{},
                           Tensor{});

  Backend& dev = gpu();
  Guarded<float> gx(dev, x), gdy(dev, dy), ggamma(dev, gamma), gmean(dev, mean), ginv(dev, invstd),
      gdg(dev, nc), gdb(dev, nc), gdx(dev, nt);
  dev.batchnorm_backward(gx.tensor({n, c, h, w}), gdy.tensor({n, c, h, w}), ggamma.tensor({c}),
                         gmean.tensor({c}), ginv.tensor({c}), Tensor{}, gdg.tensor({c}),
                         gdb.tensor({c}));
  expect_close(gdg.read(), dg_ref, Tolerance{1e-6, 1e-6}, "dgamma");
  expect_close(gdb.read(), db_ref, Tolerance{1e-6, 1e-6}, "dbeta");
  for (float v : gdx.read()) REQUIRE(std::isnan(v));  // dx empty: untouched
  dev.batchnorm_backward(gx.tensor({n, c, h, w}), gdy.tensor({n, c, h, w}), ggamma.tensor({c}),
                         gmean.tensor({c}), ginv.tensor({c}), gdx.tensor({n, c, h, w}), Tensor{},
                         Tensor{});
  expect_close(gdx.read(), dx_ref, kOut, "dx");
  for (const auto* g : {&gx, &gdy, &ggamma, &gmean, &ginv, &gdg, &gdb, &gdx})
    g->check_guards("batchnorm backward");
}
