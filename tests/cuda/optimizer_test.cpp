// optimizer_step on the CUDA backend against the CPU backend: every kind over three steps, with the
// learning rate and step counter read from device memory (a new value each step, as StepRunner
// uploads them). Both run the same update formulas of element_math.hpp; the device may fuse a
// multiply and an add where the host rounds twice, and Adam's powf may differ by an ulp (which
// 1 - beta2^t magnifies by cancellation), so values agree to a few ulps of the magnitudes involved,
// compounded over the steps: 2e-6 relative, plus an absolute term for values that cancel towards
// zero (a momentum buffer of an update of magnitude up to ~10 for RMSprop's first steps).
#include <catch2/catch.hpp>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

constexpr Tolerance kParams{2e-7, 2e-6};
constexpr Tolerance kState{4e-6, 2e-6};

OptimizerParams make(OptimizerKind kind, float momentum, bool nesterov, float weight_decay) {
  OptimizerParams o;
  o.kind = kind;
  o.momentum = momentum;
  o.nesterov = nesterov;
  o.weight_decay = weight_decay;
  return o;
}

void check_optimizer(const OptimizerParams& o, int64_t n, uint32_t seed) {
  CAPTURE(static_cast<int>(o.kind), o.momentum, o.nesterov, o.weight_decay, n);
  const size_t sz = static_cast<size_t>(n);
  auto p_ref = uniform(sz, -1, 1, seed);
  std::vector<float> s1_ref(sz, 0.0f), s2_ref(sz, 0.0f);

  Backend& dev = gpu();
  Guarded<float> gp(dev, p_ref), gg(dev, sz), gs1(dev, s1_ref), gs2(dev, s2_ref);
  auto* dscalars = static_cast<StepScalars*>(dev.allocate(sizeof(StepScalars)));
  for (int64_t step = 0; step < 3; ++step) {
    CAPTURE(step);
    auto g = uniform(sz, -1, 1, seed + 1 + static_cast<uint32_t>(step));
    StepScalars s;
    s.lr = 0.01f / static_cast<float>(step + 1);
    s.step = step;
    cpu().optimizer_step(o, host_tensor(p_ref, {n}), host_tensor(g, {n}), host_tensor(s1_ref, {n}),
                         host_tensor(s2_ref, {n}), &s);
    gg.upload(g);
    dev.copy_from_host(dscalars, &s, sizeof s);
    dev.optimizer_step(o, gp.tensor({n}), gg.tensor({n}), gs1.tensor({n}), gs2.tensor({n}),
                       dscalars);
    expect_close(gp.read(), p_ref, kParams, "params");
    expect_close(gs1.read(), s1_ref, kState, "state1");
    expect_close(gs2.read(), s2_ref, kState, "state2");
  }
  dev.release(dscalars);
  for (const auto* b : {&gp, &gg, &gs1, &gs2}) b->check_guards("optimizer");
}

const OptimizerParams kOptimizers[] = {
    make(OptimizerKind::sgd, 0.0f, false, 0.0f),
    make(OptimizerKind::sgd, 0.9f, false, 0.01f),
    make(OptimizerKind::sgd, 0.9f, true, 0.0f),
    make(OptimizerKind::adam, 0.0f, false, 0.0f),
    make(OptimizerKind::adam, 0.0f, false, 0.01f),
    make(OptimizerKind::adamw, 0.0f, false, 0.01f),
    make(OptimizerKind::rmsprop, 0.0f, false, 0.0f),
    make(OptimizerKind::rmsprop, 0.9f, false, 0.01f),
};

}  // namespace

TEST_CASE("cuda optimizer: small case", "[cuda][optimizer][sanitize]") {
  for (const OptimizerParams& o : kOptimizers) check_optimizer(o, 37, 121);
}

TEST_CASE("cuda optimizer: sgd, adam, adamw and rmsprop over three steps match the CPU",
          "[cuda][optimizer]") {
  uint32_t seed = 9000;
  for (const OptimizerParams& o : kOptimizers) {
    for (int64_t n : {1, 1000, 100003}) check_optimizer(o, n, seed += 10);
  }
}

TEST_CASE("cuda optimizer: sgd without momentum needs no state", "[cuda][optimizer]") {
  const int64_t n = 100;
  auto p_ref = uniform(static_cast<size_t>(n), -1, 1, 131);
  auto g = uniform(static_cast<size_t>(n), -1, 1, 132);
  StepScalars s;
  s.lr = 0.1f;
  const OptimizerParams o = make(OptimizerKind::sgd, 0.0f, false, 0.0f);
  cpu().optimizer_step(o, host_tensor(p_ref, {n}), host_tensor(g, {n}), Tensor{}, Tensor{}, &s);
  Backend& dev = gpu();
  Guarded<float> gp(dev, uniform(static_cast<size_t>(n), -1, 1, 131)), gg(dev, g);
  auto* dscalars = static_cast<StepScalars*>(dev.allocate(sizeof(StepScalars)));
  dev.copy_from_host(dscalars, &s, sizeof s);
  dev.optimizer_step(o, gp.tensor({n}), gg.tensor({n}), Tensor{}, Tensor{}, dscalars);
  expect_close(gp.read(), p_ref, kParams, "params");
  dev.release(dscalars);
  gp.check_guards("params");
}
