// Max-pooling 2x2 stride 2 on the CPU backend: argmax and ties by hand, odd sizes, and the gradient
// against finite differences on inputs whose window maxima are unique by a wide margin. Global
// average pooling by hand and against finite differences.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu maxpool forward and backward by hand", "[cpu][pool]") {
  auto be = make_cpu_backend();
  // Ties: the first maximum in row-major order wins.
  std::vector<float> x = {1, 3, 2, 2,  //
                          3, 0, 1, 2,  //
                          5, 6, 7, 8,  //
                          6, 5, 8, 7};
  std::vector<float> y = nan_vector(4);
  std::vector<int32_t> argmax(4, -1);
  be->maxpool2d_forward(view(x, {1, 1, 4, 4}), view(y, {1, 1, 2, 2}), argmax.data());
  CHECK(y == std::vector<float>{3, 2, 6, 8});
  CHECK(argmax == std::vector<int32_t>{1, 2, 9, 11});

  std::vector<float> dy = {1, 2, 3, 4};
  std::vector<float> dx = nan_vector(16);
  be->maxpool2d_backward(view(dy, {1, 1, 2, 2}), argmax.data(), view(dx, {1, 1, 4, 4}));
  CHECK(dx == std::vector<float>{0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0});
}

TEST_CASE("cpu maxpool drops a trailing odd row and column", "[cpu][pool]") {
  auto be = make_cpu_backend();
  // 2 channels of 3x5: output 1x2 per channel; the large values in row 2 and column 4 are ignored.
  std::vector<float> x = {1,  2,  3,  4,  99,                      //
                          5,  6,  7,  8,  99,                      //
                          99, 99, 99, 99, 99, -1, -2, -3, -4, 99,  //
                          -5, -6, -7, -8, 99,                      //
                          99, 99, 99, 99, 99};
  std::vector<float> y = nan_vector(4);
  std::vector<int32_t> argmax(4, -1);
  be->maxpool2d_forward(view(x, {1, 2, 3, 5}), view(y, {1, 2, 1, 2}), argmax.data());
  CHECK(y == std::vector<float>{6, 8, -1, -3});
  CHECK(argmax == std::vector<int32_t>{6, 8, 0, 2});

  std::vector<float> dy = {1, 2, 3, 4};
  std::vector<float> dx = nan_vector(30);
  be->maxpool2d_backward(view(dy, {1, 2, 1, 2}), argmax.data(), view(dx, {1, 2, 3, 5}));
  CHECK(count_non_finite(dx) == 0);
  CHECK(dx[6] == 1);
  CHECK(dx[8] == 2);
  CHECK(dx[15] == 3);
  CHECK(dx[17] == 4);
  double total = 0.0;
  for (float v : dx) total += v;
  CHECK(total == 10.0);
}

TEST_CASE("cpu maxpool gradient matches finite differences", "[cpu][pool][gradcheck]") {
  auto be = make_cpu_backend();
  const int64_t n = 2, c = 3, h = 5, w = 7;
  // Distinct by 0.05: no perturbation of 0.01 changes which element wins a window.
  auto x = random_distinct(static_cast<size_t>(n * c * h * w), 0.05f, 31);
  auto r = uniform(static_cast<size_t>(n * c * (h / 2) * (w / 2)), -1, 1, 32);
  std::vector<float> y(r.size());
  std::vector<int32_t> argmax(r.size());
  const auto objective = [&] {
    be->maxpool2d_forward(view(x, {n, c, h, w}), view(y, {n, c, h / 2, w / 2}), argmax.data());
    return dot(y, r);
  };
  objective();
  auto dx = nan_vector(x.size());
  be->maxpool2d_backward(view(r, {n, c, h / 2, w / 2}), argmax.data(), view(dx, {n, c, h, w}));
  expect_gradients(objective, {{"x", &x, dx}});
}

TEST_CASE("cpu global average pooling by hand", "[cpu][pool]") {
  auto be = make_cpu_backend();
  // Two samples of two 2x3 planes: each mean is its plane's sum over 6.
  std::vector<float> x = {1,  2,  3,  4,  5,  6,  0, 0, 0, 0, 0, 6,  //
                          -1, -1, -1, -1, -1, -1, 6, 6, 6, 6, 6, 12};
  std::vector<float> y = nan_vector(4);
  be->global_avgpool_forward(view(x, {2, 2, 2, 3}), view(y, {2, 2}));
  CHECK(y == std::vector<float>{3.5f, 1.0f, -1.0f, 7.0f});

  std::vector<float> dy = {6, -12, 3, 0};
  std::vector<float> dx = nan_vector(24);
  be->global_avgpool_backward(view(dy, {2, 2}), view(dx, {2, 2, 2, 3}));
  for (size_t i = 0; i < dx.size(); ++i) {
    INFO(i);
    CHECK(dx[i] == dy[i / 6] / 6.0f);
  }
}

TEST_CASE("cpu global average pooling gradient matches finite differences",
          "[cpu][pool][gradcheck]") {
  auto be = make_cpu_backend();
  const int64_t n = 3, c = 4, h = 5, w = 3;
  auto x = uniform(static_cast<size_t>(n * c * h * w), -2, 2, 41);
  auto r = uniform(static_cast<size_t>(n * c), -1, 1, 42);
  std::vector<float> y(r.size());
  const auto objective = [&] {
    be->global_avgpool_forward(view(x, {n, c, h, w}), view(y, {n, c}));
    return dot(y, r);
  };
  auto dx = nan_vector(x.size());
  be->global_avgpool_backward(view(r, {n, c}), view(dx, {n, c, h, w}));
  expect_gradients(objective, {{"x", &x, dx}});
}

}  // namespace emnist::test
