// The gradient checker itself: it passes a correct gradient and catches a wrong one, so a passing
// gradient test means something.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"

namespace emnist::test {

TEST_CASE("cpu gradient checker accepts right and rejects wrong gradients", "[cpu][gradcheck]") {
  auto x = uniform(20, -1, 1, 181);
  auto r = uniform(20, -1, 1, 182);
  // L = sum r x^3, dL/dx = 3 r x^2.
  const auto objective = [&] {
    double sum = 0.0;
    for (size_t i = 0; i < x.size(); ++i) sum += static_cast<double>(r[i]) * x[i] * x[i] * x[i];
    return sum;
  };
  std::vector<float> right(x.size()), scaled(x.size()), missing(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    right[i] = 3 * r[i] * x[i] * x[i];
    scaled[i] = 1.1f * right[i];
    missing[i] = right[i];
  }
  // Zero the largest derivative (certainly more than the tolerance) and nudge another by 0.01.
  const size_t largest = static_cast<size_t>(
      std::max_element(right.begin(), right.end(),
                       [](float a, float b) { return std::fabs(a) < std::fabs(b); }) -
      right.begin());
  missing[largest] = 0.0f;
  missing[(largest + 1) % x.size()] += 0.01f;

  std::vector<GradTarget> good = {{"x", &x, right}};
  CHECK(check_gradients(objective, good).failures == 0);

  std::vector<GradTarget> bad = {{"x", &x, scaled}};
  const GradCheckResult scaled_result = check_gradients(objective, bad);
  CHECK(scaled_result.failures > 0);
  CHECK(scaled_result.worst_ratio > 1.0);

  std::vector<GradTarget> holes = {{"x", &x, missing}};
  CHECK(check_gradients(objective, holes).failures == 2);
}

}  // namespace emnist::test
