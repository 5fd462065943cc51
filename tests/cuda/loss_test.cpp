// The CUDA backend's softmax cross-entropy on a label out of range: NaN, not a stray access (the
// CPU backend throws instead, tests/cpu/loss_test.cpp; the cases both share are in
// tests/ops/loss_cases.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda softmax cross-entropy: a label out of range gives NaN, not a stray access",
          "[cuda][loss]") {
  const int64_t b = 4, c = 5;
  auto z = uniform(static_cast<size_t>(b * c), -1, 1, 95);
  Backend& dev = gpu();
  Guarded<float> gz(dev, z), gd(dev, z.size()), gloss(dev, 1);
  Guarded<int32_t> gy(dev, std::vector<int32_t>{0, 1, 7, 2});
  dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), gd.tensor({b, c}), gloss.data(), {});
  CHECK(std::isnan(gloss.read()[0]));
  const auto d = gd.read();
  for (int64_t j = 0; j < c; ++j) CHECK(std::isnan(d[static_cast<size_t>(2 * c + j)]));
  for (int64_t j = 0; j < c; ++j) CHECK(std::isfinite(d[static_cast<size_t>(j)]));
  for (const auto* g : {&gz, &gd, &gloss}) g->check_guards("softmax cross-entropy");
}
