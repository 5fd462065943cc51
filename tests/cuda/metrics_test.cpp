// confusion_accumulate and loss_accumulate on the CUDA backend against the CPU backend: integer
// counts must be equal, and the loss sum is the same two roundings in the same order: equal too.
#include <catch2/catch.hpp>
#include <limits>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

void check_confusion(int64_t batch, int64_t classes, uint32_t seed) {
  CAPTURE(batch, classes);
  const size_t sz = static_cast<size_t>(batch * classes);
  const size_t cells = static_cast<size_t>(classes * classes);
  // Few distinct logit values: many rows have tied maxima, where the first one is the prediction.
  const auto z1 = quantized(sz, 4, 1.0f, seed), z2 = uniform(sz, -1, 1, seed + 1);
  const auto y1 = labels(static_cast<size_t>(batch), static_cast<int>(classes), seed + 2);
  const auto y2 = labels(static_cast<size_t>(batch), static_cast<int>(classes), seed + 3);
  std::vector<int64_t> start(cells);
  for (size_t i = 0; i < cells; ++i) start[i] = static_cast<int64_t>(i % 5);  // counts so far

  auto ref = start;
  auto z1c = z1, z2c = z2;
  cpu().confusion_accumulate(host_tensor(z1c, {batch, classes}), y1.data(), ref.data());
  cpu().confusion_accumulate(host_tensor(z2c, {batch, classes}), y2.data(), ref.data());

  Backend& dev = gpu();
  Guarded<float> gz1(dev, z1), gz2(dev, z2);
  Guarded<int32_t> gy1(dev, y1), gy2(dev, y2);
  Guarded<int64_t> gconf(dev, start);
  dev.confusion_accumulate(gz1.tensor({batch, classes}), gy1.data(), gconf.data());
  dev.confusion_accumulate(gz2.tensor({batch, classes}), gy2.data(), gconf.data());
  CHECK(gconf.read() == ref);
  gconf.check_guards("confusion");
  for (const auto* g : {&gz1, &gz2}) g->check_guards("logits");
}

}  // namespace

TEST_CASE("cuda confusion: small case", "[cuda][metrics][sanitize]") {
  check_confusion(37, 10, 141);
}

TEST_CASE("cuda confusion: counts equal the CPU's exactly", "[cuda][metrics]") {
  uint32_t seed = 10000;
  for (int64_t batch : {1, 37, 1000}) {
    for (int64_t classes : {1, 10, 47}) check_confusion(batch, classes, seed += 10);
  }
}

TEST_CASE("cuda loss_accumulate: the epoch sum equals the CPU's exactly",
          "[cuda][metrics][sanitize]") {
  const std::vector<float> values{2.3456789f, 0.1234567f, 1.0e-3f, 3.75f};
  const std::vector<int64_t> counts{128, 128, 37, 1};
  std::vector<double> sum_ref{0.5};
  Backend& dev = gpu();
  Guarded<double> gsum(dev, sum_ref);
  Guarded<float> gvalue(dev, 1);
  for (size_t i = 0; i < values.size(); ++i) {
    float v = values[i];
    cpu().loss_accumulate(&v, sum_ref.data(), counts[i], nullptr, nullptr);
    gvalue.upload({v});
    dev.loss_accumulate(gvalue.data(), gsum.data(), counts[i], nullptr, nullptr);
  }
  expect_close(gsum.read(), sum_ref, Tolerance{0.0, 0.0}, "loss sum");
  gsum.check_guards("loss sum");
  gvalue.check_guards("loss value");
}

TEST_CASE("cuda loss_accumulate: the first non-finite step, as the CPU records it",
          "[cuda][metrics][sanitize]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> values{0.5f, std::numeric_limits<float>::infinity(), nan, 0.25f};
  Backend& dev = gpu();
  Guarded<double> gsum(dev, std::vector<double>{0.0});
  Guarded<float> gvalue(dev, 1);
  auto* scalars = static_cast<StepScalars*>(dev.allocate(sizeof(StepScalars)));
  Guarded<int64_t> gfirst(dev, std::vector<int64_t>{-1});
  double sum_ref = 0.0;
  int64_t first_ref = -1;
  for (size_t i = 0; i < values.size(); ++i) {
    StepScalars s;
    s.step = static_cast<int64_t>(10 + i);
    float v = values[i];
    cpu().loss_accumulate(&v, &sum_ref, 16, &s, &first_ref);
    gvalue.upload({v});
    dev.copy_from_host(scalars, &s, sizeof s);
    dev.loss_accumulate(gvalue.data(), gsum.data(), 16, scalars, gfirst.data());
  }
  REQUIRE(first_ref == 11);
  CHECK(gfirst.read() == std::vector<int64_t>{first_ref});
  gfirst.check_guards("first non-finite step");
  dev.release(scalars);
}
