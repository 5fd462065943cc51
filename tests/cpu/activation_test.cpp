// Activations on the CPU backend: values by hand, in-place use, and the gradients against finite
// differences on inputs at least 0.05 away from the kink at 0.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu activations forward and backward by hand", "[cpu][activation]") {
  auto be = make_cpu_backend();
  std::vector<float> x = {-2, -0.5f, 0, 0.5f, 3};
  std::vector<float> dy = {1, 2, 3, 4, 5};

  std::vector<float> y, dx;
  // Forward into a poisoned y, then backward from that y into a poisoned dx.
  const auto run = [&](const Activation& a) {
    y = nan_vector(5);
    dx = nan_vector(5);
    be->activation_forward(a, view(x, {5}), view(y, {5}));
    be->activation_backward(a, view(y, {5}), view(dy, {5}), view(dx, {5}));
  };

  run(Activation{ActivationKind::relu, 0.01f, 1.0f});
  CHECK(y == std::vector<float>{0, 0, 0, 0.5f, 3});
  CHECK(dx == std::vector<float>{0, 0, 0, 4, 5});

  run(Activation{ActivationKind::leaky_relu, 0.1f, 1.0f});
  CHECK(y == std::vector<float>{-0.2f, -0.05f, 0, 0.5f, 3});
  CHECK(dx == std::vector<float>{0.1f, 0.2f, 0.3f, 4, 5});

  run(Activation{ActivationKind::elu, 0.01f, 1.5f});
  const std::vector<double> expected = {1.5 * (std::exp(-2.0) - 1), 1.5 * (std::exp(-0.5) - 1), 0,
                                        0.5, 3};
  for (size_t i = 0; i < 5; ++i) CHECK(y[i] == Approx(expected[i]).margin(1e-6));
  // d/dx = 1.5 e^x below 0 (and at 0, where y = 0 is not > 0).
  const std::vector<double> grad = {1 * 1.5 * std::exp(-2.0), 2 * 1.5 * std::exp(-0.5), 3 * 1.5, 4,
                                    5};
  for (size_t i = 0; i < 5; ++i) CHECK(dx[i] == Approx(grad[i]).margin(1e-6));
}

TEST_CASE("cpu activations run in place", "[cpu][activation]") {
  auto be = make_cpu_backend();
  // Large enough to take the multi-threaded path.
  auto x = uniform(100003, -1, 1, 71);
  for (ActivationKind kind :
       {ActivationKind::relu, ActivationKind::leaky_relu, ActivationKind::elu}) {
    const Activation a{kind, 0.2f, 0.7f};
    std::vector<float> out_of_place = nan_vector(x.size());
    be->activation_forward(a, view(x, {100003}), view(out_of_place, {100003}));
    std::vector<float> in_place = x;
    be->activation_forward(a, view(in_place, {100003}), view(in_place, {100003}));
    CHECK(bit_identical(in_place, out_of_place));

    auto dy = uniform(x.size(), -1, 1, 72);
    std::vector<float> dx = nan_vector(x.size());
    be->activation_backward(a, view(out_of_place, {100003}), view(dy, {100003}),
                            view(dx, {100003}));
    be->activation_backward(a, view(out_of_place, {100003}), view(dy, {100003}),
                            view(dy, {100003}));
    CHECK(bit_identical(dx, dy));
    CHECK(count_non_finite(dx) == 0);
  }
}

TEST_CASE("cpu activation gradients match finite differences", "[cpu][activation][gradcheck]") {
  auto be = make_cpu_backend();
  for (ActivationKind kind :
       {ActivationKind::relu, ActivationKind::leaky_relu, ActivationKind::elu}) {
    CAPTURE(static_cast<int>(kind));
    const Activation a{kind, 0.1f, 1.3f};
    auto x = random_away_from_zero(60, 0.05f, 2.0f, 81);
    auto r = uniform(60, -1, 1, 82);
    std::vector<float> y(60);
    const auto objective = [&] {
      be->activation_forward(a, view(x, {3, 20}), view(y, {3, 20}));
      return dot(y, r);
    };
    objective();
    auto dx = nan_vector(60);
    be->activation_backward(a, view(y, {3, 20}), view(r, {3, 20}), view(dx, {3, 20}));
    expect_gradients(objective, {{"x", &x, dx}});
  }
}

}  // namespace emnist::test
