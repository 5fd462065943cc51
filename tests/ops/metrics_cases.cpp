// confusion_accumulate and loss_accumulate on the target against the reference: integer counts
// must be equal, and the loss sum is the same two roundings in the same order: equal too.
#include <limits>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"
#include "ops/target_scalars.hpp"

namespace emnist::test {
namespace {

void check_confusion(OpTarget& target, int64_t batch, int64_t classes, uint32_t seed) {
  CAPTURE(target.name(), batch, classes);
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
  run_reference([&](Backend& reference) {
    reference.confusion_accumulate(host_tensor(z1c, {batch, classes}), y1.data(), ref.data());
    reference.confusion_accumulate(host_tensor(z2c, {batch, classes}), y2.data(), ref.data());
  });

  Backend& mem = target.backend();
  Guarded<float> gz1(mem, z1), gz2(mem, z2);
  Guarded<int32_t> gy1(mem, y1), gy2(mem, y2);
  Guarded<int64_t> gconf(mem, start);
  target.run([&](Backend& dev) {
    dev.confusion_accumulate(gz1.tensor({batch, classes}), gy1.data(), gconf.data());
    dev.confusion_accumulate(gz2.tensor({batch, classes}), gy2.data(), gconf.data());
  });
  CHECK(gconf.read() == ref);
  gconf.check_guards("confusion");
  for (const auto* g : {&gz1, &gz2}) g->check_guards("logits");
  for (const auto* g : {&gy1, &gy2}) g->check_guards("labels");
}

}  // namespace

OP_TEST_CASE("confusion: small case", "[metrics][sanitize]") {
  check_confusion(op_target(), 37, 10, 141);
}

OP_TEST_CASE("confusion: counts equal the CPU's exactly", "[metrics]") {
  uint32_t seed = 10000;
  for (int64_t batch : {1, 37, 1000}) {
    for (int64_t classes : {1, 10, 47}) check_confusion(op_target(), batch, classes, seed += 10);
  }
}

OP_TEST_CASE("loss_accumulate: the epoch sum equals the CPU's exactly", "[metrics][sanitize]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const std::vector<float> values{2.3456789f, 0.1234567f, 1.0e-3f, 3.75f};
  const std::vector<int64_t> counts{128, 128, 37, 1};
  std::vector<double> sum_ref{0.5};
  Backend& mem = target.backend();
  Guarded<double> gsum(mem, sum_ref);
  Guarded<float> gvalue(mem, 1);
  for (size_t i = 0; i < values.size(); ++i) {
    float v = values[i];
    run_reference([&](Backend& ref) {
      ref.loss_accumulate(&v, sum_ref.data(), counts[i], nullptr, nullptr);
    });
    gvalue.upload({v});
    target.run([&](Backend& dev) {
      dev.loss_accumulate(gvalue.data(), gsum.data(), counts[i], nullptr, nullptr);
    });
  }
  target.expect_close(gsum.read(), sum_ref, kExact, "loss sum");
  gsum.check_guards("loss sum");
  gvalue.check_guards("loss value");
}

OP_TEST_CASE("loss_accumulate: the first non-finite step, as the CPU records it",
             "[metrics][sanitize]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> values{0.5f, std::numeric_limits<float>::infinity(), nan, 0.25f};
  Backend& mem = target.backend();
  Guarded<double> gsum(mem, std::vector<double>{0.0});
  Guarded<float> gvalue(mem, 1);
  TargetScalars tscalars(mem);
  Guarded<int64_t> gfirst(mem, std::vector<int64_t>{-1});
  double sum_ref = 0.0;
  int64_t first_ref = -1;
  for (size_t i = 0; i < values.size(); ++i) {
    StepScalars s;
    s.step = static_cast<int64_t>(10 + i);
    float v = values[i];
    run_reference([&](Backend& ref) { ref.loss_accumulate(&v, &sum_ref, 16, &s, &first_ref); });
    gvalue.upload({v});
    tscalars.upload(s);
    target.run([&](Backend& dev) {
      dev.loss_accumulate(gvalue.data(), gsum.data(), 16, tscalars.data(), gfirst.data());
    });
  }
  REQUIRE(first_ref == 11);
  CHECK(gfirst.read() == std::vector<int64_t>{first_ref});
  gfirst.check_guards("first non-finite step");
}

}  // namespace emnist::test
