// Batch normalisation on the CPU backend: hand-computed statistics for [N, C] and [N, C, H, W],
// running averages over several steps (PyTorch's momentum convention, unbiased running variance),
// inference with those averages, and the training-mode gradients against finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {
namespace {

// The tolerance for float outputs of O(1) against double hand values: a few float roundings.
constexpr double kFloatTol = 2e-6;

}  // namespace

TEST_CASE("cpu batchnorm 1d on four values by hand", "[cpu][batchnorm]") {
  auto be = make_cpu_backend();
  std::vector<float> x = {1, 2, 3, 4};  // [4, 1]
  std::vector<float> gamma = {2}, beta = {0.5f}, rm = {0}, rv = {1};
  std::vector<float> y = nan_vector(4), save_mean = nan_vector(1), save_invstd = nan_vector(1);
  const BatchNormParams p{0.1f, 1e-5f, false, {}, {}, {}};
  be->batchnorm_forward_train(view(x, {4, 1}), view(gamma, {1}), view(beta, {1}), view(rm, {1}),
                              view(rv, {1}), view(y, {4, 1}), view(save_mean, {1}),
                              view(save_invstd, {1}), p);
  // mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, unbiased 5 / 3.
  const double invstd = 1.0 / std::sqrt(1.25 + 1e-5);
  CHECK(save_mean[0] == 2.5f);
  CHECK(save_invstd[0] == Approx(invstd).epsilon(1e-6));
  for (int i = 0; i < 4; ++i) {
    CHECK(y[static_cast<size_t>(i)] == Approx((i + 1 - 2.5) * invstd * 2 + 0.5).margin(kFloatTol));
  }
  CHECK(rm[0] == Approx(0.9 * 0 + 0.1 * 2.5).margin(kFloatTol));
  CHECK(rv[0] == Approx(0.9 * 1 + 0.1 * (5.0 / 3.0)).margin(kFloatTol));

  // Inference normalises with the running statistics instead.
  std::vector<float> yi = nan_vector(4);
  be->batchnorm_forward_infer(view(x, {4, 1}), view(gamma, {1}), view(beta, {1}), view(rm, {1}),
                              view(rv, {1}), view(yi, {4, 1}), p);
  const double run_invstd = 1.0 / std::sqrt(0.9 + 0.1 * 5.0 / 3.0 + 1e-5);
  for (int i = 0; i < 4; ++i) {
    CHECK(yi[static_cast<size_t>(i)] ==
          Approx((i + 1 - 0.25) * run_invstd * 2 + 0.5).margin(kFloatTol));
  }
}

TEST_CASE("cpu batchnorm 2d statistics per channel by hand", "[cpu][batchnorm]") {
  auto be = make_cpu_backend();
  // [2, 2, 1, 2]: channel 0 holds 1, 3 (sample 0) and 5, 7 (sample 1): mean 4, variance 5;
  // channel 1 holds 10, 20, 30, 40: mean 25, variance 125.
  std::vector<float> x = {1, 3, 10, 20, 5, 7, 30, 40};
  std::vector<float> gamma = {1, 0.5f}, beta = {0, -1}, rm = {1, 2}, rv = {3, 4};
  std::vector<float> y = nan_vector(8), save_mean = nan_vector(2), save_invstd = nan_vector(2);
  const BatchNormParams p{0.25f, 1e-3f, false, {}, {}, {}};
  be->batchnorm_forward_train(view(x, {2, 2, 1, 2}), view(gamma, {2}), view(beta, {2}),
                              view(rm, {2}), view(rv, {2}), view(y, {2, 2, 1, 2}),
                              view(save_mean, {2}), view(save_invstd, {2}), p);
  CHECK(save_mean == std::vector<float>{4, 25});
  const double inv0 = 1.0 / std::sqrt(5 + 1e-3), inv1 = 1.0 / std::sqrt(125 + 1e-3);
  CHECK(save_invstd[0] == Approx(inv0).epsilon(1e-6));
  CHECK(save_invstd[1] == Approx(inv1).epsilon(1e-6));
  const std::vector<double> expected = {
      (1 - 4) * inv0, (3 - 4) * inv0, (10 - 25) * inv1 / 2 - 1, (20 - 25) * inv1 / 2 - 1,
      (5 - 4) * inv0, (7 - 4) * inv0, (30 - 25) * inv1 / 2 - 1, (40 - 25) * inv1 / 2 - 1};
  for (size_t i = 0; i < 8; ++i) CHECK(y[i] == Approx(expected[i]).margin(kFloatTol));
  // Unbiased variances 20/3 and 500/3.
  CHECK(rm[0] == Approx(0.75 * 1 + 0.25 * 4).margin(kFloatTol));
  CHECK(rm[1] == Approx(0.75 * 2 + 0.25 * 25).margin(kFloatTol));
  CHECK(rv[0] == Approx(0.75 * 3 + 0.25 * 20.0 / 3.0).margin(kFloatTol));
  CHECK(rv[1] == Approx(0.75 * 4 + 0.25 * 500.0 / 3.0).margin(1e-5));
}

TEST_CASE("cpu batchnorm running averages over several steps drive inference", "[cpu][batchnorm]") {
  auto be = make_cpu_backend();
  const int64_t n = 6, c = 3, h = 2, w = 3, per = n * h * w;
  std::vector<float> gamma = {1.5f, -0.5f, 1}, beta = {0.1f, 0.2f, 0.3f};
  std::vector<float> rm = {0, 0, 0}, rv = {1, 1, 1};
  std::vector<double> rm_expected = {0, 0, 0}, rv_expected = {1, 1, 1};
  const BatchNormParams p{0.1f, 1e-5f, false, {}, {}, {}};
  for (uint32_t step = 0; step < 3; ++step) {
    auto x = uniform(static_cast<size_t>(n * c * h * w), -1.0f + step, 2.0f + 2 * step, 40 + step);
    std::vector<float> y(x.size()), sm(3), si(3);
    be->batchnorm_forward_train(view(x, {n, c, h, w}), view(gamma, {c}), view(beta, {c}),
                                view(rm, {c}), view(rv, {c}), view(y, {n, c, h, w}), view(sm, {c}),
                                view(si, {c}), p);
    for (int64_t ch = 0; ch < c; ++ch) {
      double mean = 0.0;
      for (int64_t s = 0; s < n; ++s) {
        for (int64_t i = 0; i < h * w; ++i)
          mean += x[static_cast<size_t>((s * c + ch) * h * w + i)];
      }
      mean /= per;
      double ss = 0.0;
      for (int64_t s = 0; s < n; ++s) {
        for (int64_t i = 0; i < h * w; ++i) {
          const double d = x[static_cast<size_t>((s * c + ch) * h * w + i)] - mean;
          ss += d * d;
        }
      }
      const size_t k = static_cast<size_t>(ch);
      rm_expected[k] = 0.9 * rm_expected[k] + 0.1 * mean;
      rv_expected[k] = 0.9 * rv_expected[k] + 0.1 * ss / (per - 1);
    }
  }
  for (size_t k = 0; k < 3; ++k) {
    CHECK(rm[k] == Approx(rm_expected[k]).margin(1e-6));
    CHECK(rv[k] == Approx(rv_expected[k]).margin(1e-6));
  }
  auto x = uniform(static_cast<size_t>(n * c * h * w), -1, 1, 50);
  auto y = nan_vector(x.size());
  be->batchnorm_forward_infer(view(x, {n, c, h, w}), view(gamma, {c}), view(beta, {c}),
                              view(rm, {c}), view(rv, {c}), view(y, {n, c, h, w}), p);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t k = i / static_cast<size_t>(h * w) % static_cast<size_t>(c);
    const double expected =
        (x[i] - rm_expected[k]) / std::sqrt(rv_expected[k] + 1e-5) * gamma[k] + beta[k];
    CHECK(y[i] == Approx(expected).margin(1e-5));
  }
}

TEST_CASE("cpu batchnorm gradients match finite differences", "[cpu][batchnorm][gradcheck]") {
  auto be = make_cpu_backend();
  struct Shape {
    int64_t n, c, h, w;
    int rank;
  };
  for (const Shape s : {Shape{6, 5, 1, 1, 2}, Shape{3, 3, 4, 5, 4}, Shape{2, 1, 3, 3, 4}}) {
    CAPTURE(s.n, s.c, s.h, s.w, s.rank);
    const auto dims = [&](std::vector<float>& v) {
      return s.rank == 2 ? view(v, {s.n, s.c}) : view(v, {s.n, s.c, s.h, s.w});
    };
    const size_t size = static_cast<size_t>(s.n * s.c * s.h * s.w);
    auto x = uniform(size, -2, 3, 61);
    auto gamma = uniform(static_cast<size_t>(s.c), 0.5f, 1.5f, 62);
    auto beta = uniform(static_cast<size_t>(s.c), -1, 1, 63);
    auto r = uniform(size, -1, 1, 64);
    std::vector<float> rm(static_cast<size_t>(s.c), 0.0f), rv(static_cast<size_t>(s.c), 1.0f);
    std::vector<float> y(size), sm(static_cast<size_t>(s.c)), si(static_cast<size_t>(s.c));
    const BatchNormParams p{0.1f, 1e-5f, false, {}, {}, {}};
    const auto forward = [&] {
      be->batchnorm_forward_train(dims(x), view(gamma, {s.c}), view(beta, {s.c}), view(rm, {s.c}),
                                  view(rv, {s.c}), dims(y), view(sm, {s.c}), view(si, {s.c}), p);
    };
    const auto objective = [&] {
      forward();
      return dot(y, r);
    };
    forward();
    auto dx = nan_vector(size), dgamma = nan_vector(gamma.size()), dbeta = nan_vector(beta.size());
    be->batchnorm_backward(dims(x), dims(r), view(gamma, {s.c}), view(sm, {s.c}), view(si, {s.c}),
                           dims(dx), view(dgamma, {s.c}), view(dbeta, {s.c}));

    auto dx_only = nan_vector(size);
    be->batchnorm_backward(dims(x), dims(r), view(gamma, {s.c}), view(sm, {s.c}), view(si, {s.c}),
                           dims(dx_only), Tensor(), Tensor());
    CHECK(bit_identical(dx_only, dx));

    expect_gradients(objective, {{"x", &x, dx}, {"gamma", &gamma, dgamma}, {"beta", &beta, dbeta}});
  }
}

}  // namespace emnist::test
