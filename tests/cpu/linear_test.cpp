// Linear layer on the CPU backend: a hand-computed case, large shapes against a plain triple loop
// (these take the multi-threaded GEMM split), and the gradients against finite differences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {
namespace {

// y[b, o] = sum_i x[b, i] w[o, i] + bias[o], in double.
std::vector<double> naive_linear(const std::vector<float>& x, const std::vector<float>& w,
                                 const std::vector<float>& b, int64_t batch, int64_t in,
                                 int64_t out) {
  std::vector<double> y(static_cast<size_t>(batch * out));
  for (int64_t r = 0; r < batch; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in; ++i) {
        s += static_cast<double>(x[static_cast<size_t>(r * in + i)]) *
             w[static_cast<size_t>(o * in + i)];
      }
      y[static_cast<size_t>(r * out + o)] = s;
    }
  }
  return y;
}

}  // namespace

TEST_CASE("cpu linear forward and backward by hand", "[cpu][linear]") {
  auto be = make_cpu_backend();
  std::vector<float> x = {1, 2, 3, 4, 5, 6};      // [2, 3]
  std::vector<float> w = {1, 0, -1, 0.5f, 2, 1};  // [2, 3]
  std::vector<float> b = {0.25f, -0.5f};          // [2]
  std::vector<float> y = nan_vector(4);
  be->linear_forward(view(x, {2, 3}), view(w, {2, 3}), view(b, {2}), view(y, {2, 2}));
  // Row 0: 1 - 3 + 0.25, 0.5 + 4 + 3 - 0.5; row 1: 4 - 6 + 0.25, 2 + 10 + 6 - 0.5.
  CHECK(y == std::vector<float>{-1.75f, 7.0f, -1.75f, 17.5f});

  std::vector<float> y_nobias = nan_vector(4);
  be->linear_forward(view(x, {2, 3}), view(w, {2, 3}), Tensor(), view(y_nobias, {2, 2}));
  CHECK(y_nobias == std::vector<float>{-2.0f, 7.5f, -2.0f, 18.0f});

  std::vector<float> dy = {1, 0, 0, 1};
  std::vector<float> dx = nan_vector(6), dw = nan_vector(6), db = nan_vector(2);
  be->linear_backward(view(x, {2, 3}), view(w, {2, 3}), view(dy, {2, 2}), view(dx, {2, 3}),
                      view(dw, {2, 3}), view(db, {2}));
  CHECK(dx == std::vector<float>{1, 0, -1, 0.5f, 2, 1});  // dy w
  CHECK(dw == std::vector<float>{1, 2, 3, 4, 5, 6});      // dy^T x
  CHECK(db == std::vector<float>{1, 1});                  // column sums of dy

  // Empty gradient views are skipped, the others still computed.
  std::vector<float> dw_only = nan_vector(6);
  be->linear_backward(view(x, {2, 3}), view(w, {2, 3}), view(dy, {2, 2}), Tensor(),
                      view(dw_only, {2, 3}), Tensor());
  CHECK(dw_only == dw);
}

TEST_CASE("cpu linear matches a plain loop on large shapes", "[cpu][linear]") {
  auto be = make_cpu_backend();
  // Tall (split by rows) and wide (split by columns) products, with sizes that are not multiples of
  // the split alignment.
  const std::vector<std::array<int64_t, 3>> shapes = {{128, 100, 70}, {40, 64, 203}, {3, 5, 2}};
  for (const auto& [batch, in, out] : shapes) {
    CAPTURE(batch, in, out);
    auto x = uniform(static_cast<size_t>(batch * in), -1, 1, 1);
    auto w = uniform(static_cast<size_t>(out * in), -1, 1, 2);
    auto b = uniform(static_cast<size_t>(out), -1, 1, 3);
    auto dy = uniform(static_cast<size_t>(batch * out), -1, 1, 4);
    auto y = nan_vector(dy.size());
    be->linear_forward(view(x, {batch, in}), view(w, {out, in}), view(b, {out}),
                       view(y, {batch, out}));
    const auto expected = naive_linear(x, w, b, batch, in, out);
    double worst = 0.0;
    for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - expected[i]));
    // Sums of up to 100 products of O(1) terms in float: rounding stays far below 1e-4.
    CHECK(worst < 1e-4);
    CHECK(count_non_finite(y) == 0);

    auto dx = nan_vector(x.size()), dw = nan_vector(w.size()), db = nan_vector(b.size());
    be->linear_backward(view(x, {batch, in}), view(w, {out, in}), view(dy, {batch, out}),
                        view(dx, {batch, in}), view(dw, {out, in}), view(db, {out}));
    // sum_t p[t * p_step] * q[t * q_step] over k terms, in double.
    const auto dot = [](const float* p, int64_t p_step, const float* q, int64_t q_step, int64_t k) {
      double s = 0.0;
      for (int64_t t = 0; t < k; ++t) s += static_cast<double>(p[t * p_step]) * q[t * q_step];
      return s;
    };
    double worst_dx = 0.0, worst_dw = 0.0, worst_db = 0.0;
    for (int64_t r = 0; r < batch; ++r)
      for (int64_t i = 0; i < in; ++i)  // dx = dy w
        worst_dx = std::max(worst_dx, std::fabs(dot(&dy[static_cast<size_t>(r * out)], 1,
                                                    &w[static_cast<size_t>(i)], in, out) -
                                                dx[static_cast<size_t>(r * in + i)]));
    const std::vector<float> ones(static_cast<size_t>(batch), 1.0f);
    for (int64_t o = 0; o < out; ++o) {
      worst_db = std::max(worst_db,
                          std::fabs(dot(&dy[static_cast<size_t>(o)], out, ones.data(), 1, batch) -
                                    db[static_cast<size_t>(o)]));
      for (int64_t i = 0; i < in; ++i)  // dw = dy^T x
        worst_dw = std::max(worst_dw, std::fabs(dot(&dy[static_cast<size_t>(o)], out,
                                                    &x[static_cast<size_t>(i)], in, batch) -
                                                dw[static_cast<size_t>(o * in + i)]));
    }
    CHECK(worst_dx < 1e-4);
    CHECK(worst_dw < 1e-4);
    CHECK(worst_db < 1e-5);  // summed in double
    CHECK(count_non_finite(dx) + count_non_finite(dw) + count_non_finite(db) == 0);
  }
}

TEST_CASE("cpu linear gradients match finite differences", "[cpu][linear][gradcheck]") {
  auto be = make_cpu_backend();
  const int64_t batch = 3, in = 7, out = 5;
  auto x = uniform(static_cast<size_t>(batch * in), -1, 1, 11);
  auto w = uniform(static_cast<size_t>(out * in), -1, 1, 12);
  auto b = uniform(static_cast<size_t>(out), -1, 1, 13);
  auto r = uniform(static_cast<size_t>(batch * out), -1, 1, 14);
  std::vector<float> y(r.size());
  const auto objective = [&] {
    be->linear_forward(view(x, {batch, in}), view(w, {out, in}), view(b, {out}),
                       view(y, {batch, out}));
    return dot(y, r);
  };
  auto dx = nan_vector(x.size()), dw = nan_vector(w.size()), db = nan_vector(b.size());
  be->linear_backward(view(x, {batch, in}), view(w, {out, in}), view(r, {batch, out}),
                      view(dx, {batch, in}), view(dw, {out, in}), view(db, {out}));
  expect_gradients(objective, {{"x", &x, dx}, {"w", &w, dw}, {"b", &b, db}});
}

}  // namespace emnist::test
