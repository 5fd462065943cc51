// y = a + b on the CPU backend: by hand, in place, and each input's gradient (the output's
// gradient itself, reaching both paths) against finite differences.
#include <catch2/catch.hpp>

#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu add by hand and in place", "[cpu][add]") {
  auto be = make_cpu_backend();
  std::vector<float> a = {1, -2, 3.5f, 0}, b = {0.5f, 2, -1, -0.0f};
  std::vector<float> y = nan_vector(4);
  be->add(view(a, {4}), view(b, {4}), view(y, {4}));
  CHECK(y == std::vector<float>{1.5f, 0, 2.5f, 0});
  be->add(view(a, {2, 2}), view(b, {4}), view(a, {2, 2}));  // y is a; shapes may differ
  CHECK(a == y);
  // Large enough to split between threads: every element still a + b.
  const size_t n = 100003;
  auto big_a = uniform(n, -1, 1, 51), big_b = uniform(n, -1, 1, 52);
  std::vector<float> big_y = nan_vector(n);
  be->add(view(big_a, {static_cast<int64_t>(n)}), view(big_b, {static_cast<int64_t>(n)}),
          view(big_y, {static_cast<int64_t>(n)}));
  size_t wrong = 0;
  for (size_t i = 0; i < n; ++i) wrong += big_y[i] != big_a[i] + big_b[i];
  CHECK(wrong == 0);
}

TEST_CASE("cpu add: both inputs' gradients match finite differences", "[cpu][add][gradcheck]") {
  auto be = make_cpu_backend();
  const int64_t n = 30;
  auto a = uniform(static_cast<size_t>(n), -2, 2, 53),
       b = uniform(static_cast<size_t>(n), -2, 2, 54);
  auto r = uniform(static_cast<size_t>(n), -1, 1, 55);
  std::vector<float> y(r.size());
  const auto objective = [&] {
    be->add(view(a, {n}), view(b, {n}), view(y, {n}));
    return dot(y, r);
  };
  // The backward of a sum hands the output's gradient to both inputs.
  expect_gradients(objective, {{"a", &a, r}, {"b", &b, r}});
}

}  // namespace emnist::test
