// L1/L2 regularisation on the CPU backend: the gradient is added onto what is there, the penalty is
// l1 sum|w| + l2/2 sum w^2, and its gradient (away from w = 0 for L1) matches finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu regularize by hand", "[cpu][regularize]") {
  auto be = make_cpu_backend();
  std::vector<float> w = {-2, 0, 0.5f, 4};
  std::vector<float> g = {1, 1, 1, 1};
  float penalty = NAN;
  be->regularize(view(w, {4}), view(g, {4}), 0.25f, 0.5f, &penalty);
  // grad += 0.25 sign(w) + 0.5 w; sign(0) = 0.
  CHECK(g == std::vector<float>{1 - 0.25f - 1, 1, 1 + 0.25f + 0.25f, 1 + 0.25f + 2});
  // 0.25 * 6.5 + 0.25 * (4 + 0.25 + 16)
  CHECK(penalty == Approx(0.25 * 6.5 + 0.25 * 20.25).epsilon(1e-7));

  // Penalty only.
  float only = NAN;
  be->regularize(view(w, {4}), Tensor(), 0.25f, 0.5f, &only);
  CHECK(only == penalty);
}

TEST_CASE("cpu regularize penalty over many chunks", "[cpu][regularize]") {
  auto be = make_cpu_backend();
  auto w = uniform(100001, -1, 1, 121);
  std::vector<float> g(w.size(), 0.0f);
  float penalty = NAN;
  be->regularize(view(w, {100001}), view(g, {100001}), 1e-3f, 2e-3f, &penalty);
  double abs_sum = 0.0, sq_sum = 0.0;
  for (float v : w) {
    abs_sum += std::fabs(v);
    sq_sum += static_cast<double>(v) * v;
  }
  CHECK(penalty == Approx(1e-3 * abs_sum + 1e-3 * sq_sum).epsilon(1e-6));
  CHECK(count_non_finite(g) == 0);
}

TEST_CASE("cpu regularize gradient matches finite differences", "[cpu][regularize][gradcheck]") {
  auto be = make_cpu_backend();
  auto w = random_away_from_zero(40, 0.05f, 2.0f, 131);
  const auto objective = [&] {
    float penalty = NAN;
    be->regularize(view(w, {40}), Tensor(), 0.3f, 0.7f, &penalty);
    return static_cast<double>(penalty);
  };
  std::vector<float> g(40, 0.0f);
  be->regularize(view(w, {40}), view(g, {40}), 0.3f, 0.7f, nullptr);
  expect_gradients(objective, {{"w", &w, g}});
}

}  // namespace emnist::test
