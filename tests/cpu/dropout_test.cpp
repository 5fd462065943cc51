// Inverted dropout on the CPU backend: the mask is exactly math::dropout_keep, about 1 - p of the
// elements survive, survivors are scaled by 1 / (1 - p), backward uses the same mask, and the
// gradient (a fixed mask: a linear map) matches finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"
#include "emnist/element_math.hpp"

namespace emnist::test {

TEST_CASE("cpu dropout keeps 1-p of the elements scaled by 1/(1-p)", "[cpu][dropout]") {
  auto be = make_cpu_backend();
  const int64_t n = 200000;
  const float p = 0.3f;
  const uint64_t seed = 1234;
  const uint32_t layer = 2;
  auto x = random_away_from_zero(static_cast<size_t>(n), 0.01f, 1.0f, 91);
  StepScalars scalars;
  scalars.step = 17;
  std::vector<float> y = nan_vector(x.size());
  be->dropout_forward(view(x, {n}), view(y, {n}), p, seed, layer, &scalars);
  REQUIRE(count_non_finite(y) == 0);

  const float scale = 1.0f / (1.0f - p);
  int64_t kept = 0, mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    const bool keep = math::dropout_keep(seed, layer, 17, static_cast<uint64_t>(i), p);
    kept += keep ? 1 : 0;
    const float expected = keep ? x[k] * scale : 0.0f;
    mismatches += y[k] == expected ? 0 : 1;
  }
  CHECK(mismatches == 0);
  // Binomial(200000, 0.7): standard deviation 205, so +-0.01 * n is about 10 sigma.
  CHECK(std::fabs(static_cast<double>(kept) / n - 0.7) < 0.01);

  // Backward applies the same mask and scale to dy.
  auto dy = uniform(x.size(), -1, 1, 92);
  std::vector<float> dx = nan_vector(x.size());
  be->dropout_backward(view(dy, {n}), view(dx, {n}), p, seed, layer, &scalars);
  mismatches = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const bool keep = y[k] != 0.0f;  // x is never 0, so a zero output means dropped
    mismatches += dx[k] == (keep ? dy[k] * scale : 0.0f) ? 0 : 1;
  }
  CHECK(mismatches == 0);

  // Another step, another layer or another seed draws another mask.
  for (int variant = 0; variant < 3; ++variant) {
    StepScalars other = scalars;
    if (variant == 0) other.step = 18;
    std::vector<float> y2(x.size());
    be->dropout_forward(view(x, {n}), view(y2, {n}), p, variant == 2 ? seed + 1 : seed,
                        variant == 1 ? layer + 1 : layer, &other);
    int64_t differ = 0;
    for (size_t k = 0; k < x.size(); ++k) differ += (y[k] == 0.0f) != (y2[k] == 0.0f) ? 1 : 0;
    // Independent masks disagree on 2 * 0.3 * 0.7 = 42% of the elements.
    CHECK(differ > n / 3);
  }

  // p = 0 is the identity.
  std::vector<float> same = nan_vector(x.size());
  be->dropout_forward(view(x, {n}), view(same, {n}), 0.0f, seed, layer, &scalars);
  CHECK(bit_identical(same, x));
}

TEST_CASE("cpu dropout gradient matches finite differences", "[cpu][dropout][gradcheck]") {
  auto be = make_cpu_backend();
  const float p = 0.4f;
  StepScalars scalars;
  scalars.step = 3;
  auto x = uniform(50, -1, 1, 101);
  auto r = uniform(50, -1, 1, 102);
  std::vector<float> y(50);
  const auto objective = [&] {
    be->dropout_forward(view(x, {5, 10}), view(y, {5, 10}), p, 7, 1, &scalars);
    return dot(y, r);
  };
  auto dx = nan_vector(50);
  be->dropout_backward(view(r, {5, 10}), view(dx, {5, 10}), p, 7, 1, &scalars);
  expect_gradients(objective, {{"x", &x, dx}});
}

}  // namespace emnist::test
