// optimizer_step on the target against the reference: every kind over three steps, with the
// learning rate and step counter read from the target's memory (a new value each step, as
// StepRunner uploads them). Every backend runs the same update formulas of element_math.hpp; the
// CUDA device may fuse a multiply and an add where the host rounds twice, and Adam's powf may
// differ by an ulp (which 1 - beta2^t magnifies by cancellation), so values agree to a few ulps of
// the magnitudes involved, compounded over the steps: 2e-6 relative, plus an absolute term for
// values that cancel towards zero (a momentum buffer of an update of magnitude up to ~10 for
// RMSprop's first steps).
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"
#include "ops/target_scalars.hpp"

namespace emnist::test {
namespace {

constexpr Tolerance kParams{2e-7, 2e-6};
constexpr Tolerance kState{4e-6, 2e-6};

void check_optimizer(OpTarget& target, const OptimizerParams& o, int64_t n, uint32_t seed) {
  CAPTURE(target.name(), static_cast<int>(o.kind), o.momentum, o.nesterov, o.weight_decay, n);
  const size_t sz = static_cast<size_t>(n);
  auto p_ref = uniform(sz, -1, 1, seed);
  std::vector<float> s1_ref(sz, 0.0f), s2_ref(sz, 0.0f);

  Backend& mem = target.backend();
  Guarded<float> gp(mem, p_ref), gg(mem, sz), gs1(mem, s1_ref), gs2(mem, s2_ref);
  TargetScalars tscalars(mem);
  for (int64_t step = 0; step < 3; ++step) {
    CAPTURE(step);
    auto g = uniform(sz, -1, 1, seed + 1 + static_cast<uint32_t>(step));
    StepScalars s;
    s.lr = 0.01f / static_cast<float>(step + 1);
    s.step = step;
    run_reference([&](Backend& ref) {
      ref.optimizer_step(o, host_tensor(p_ref, {n}), host_tensor(g, {n}), host_tensor(s1_ref, {n}),
                         host_tensor(s2_ref, {n}), &s);
    });
    gg.upload(g);
    tscalars.upload(s);
    target.run([&](Backend& dev) {
      dev.optimizer_step(o, gp.tensor({n}), gg.tensor({n}), gs1.tensor({n}), gs2.tensor({n}),
                         tscalars.data());
    });
    target.expect_close(gp.read(), p_ref, kParams, "params");
    target.expect_close(gs1.read(), s1_ref, kState, "state1");
    target.expect_close(gs2.read(), s2_ref, kState, "state2");
  }
  for (const auto* b : {&gp, &gg, &gs1, &gs2}) b->check_guards("optimizer");
}

const OptimizerParams kOptimizers[] = {
    OptimizerParams{.kind = OptimizerKind::sgd},
    OptimizerParams{.kind = OptimizerKind::sgd, .momentum = 0.9f, .weight_decay = 0.01f},
    OptimizerParams{.kind = OptimizerKind::sgd, .momentum = 0.9f, .nesterov = true},
    OptimizerParams{.kind = OptimizerKind::adam},
    OptimizerParams{.kind = OptimizerKind::adam, .weight_decay = 0.01f},
    OptimizerParams{.kind = OptimizerKind::adamw, .weight_decay = 0.01f},
    OptimizerParams{.kind = OptimizerKind::rmsprop},
    OptimizerParams{.kind = OptimizerKind::rmsprop, .momentum = 0.9f, .weight_decay = 0.01f},
};

}  // namespace

OP_TEST_CASE("optimizer: small case", "[optimizer][sanitize]") {
  for (const OptimizerParams& o : kOptimizers) check_optimizer(op_target(), o, 37, 121);
}

OP_TEST_CASE("optimizer: sgd, adam, adamw and rmsprop over three steps match the CPU",
             "[optimizer]") {
  uint32_t seed = 9000;
  for (const OptimizerParams& o : kOptimizers) {
    for (int64_t n : {1, 1000, 100003}) check_optimizer(op_target(), o, n, seed += 10);
  }
}

OP_TEST_CASE("optimizer: sgd without momentum needs no state", "[optimizer]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const int64_t n = 100;
  const auto p0 = uniform(static_cast<size_t>(n), -1, 1, 131);
  auto p_ref = p0;
  auto g = uniform(static_cast<size_t>(n), -1, 1, 132);
  StepScalars s;
  s.lr = 0.1f;
  const OptimizerParams o = OptimizerParams{.kind = OptimizerKind::sgd};
  run_reference([&](Backend& ref) {
    ref.optimizer_step(o, host_tensor(p_ref, {n}), host_tensor(g, {n}), Tensor{}, Tensor{}, &s);
  });
  Backend& mem = target.backend();
  Guarded<float> gp(mem, p0), gg(mem, g);
  TargetScalars tscalars(mem);
  tscalars.upload(s);
  target.run([&](Backend& dev) {
    dev.optimizer_step(o, gp.tensor({n}), gg.tensor({n}), Tensor{}, Tensor{}, tscalars.data());
  });
  target.expect_close(gp.read(), p_ref, kParams, "params");
  gp.check_guards("params");
  gg.check_guards("grads");
}

OP_TEST_CASE("ema_update: the weights' moving average over three steps matches the CPU",
             "[optimizer]") {
  // Each step: a lerp towards new values by 1 - decay, the decay warmed up by the step read from
  // backend memory (steps 0 and 5 inside the warm-up for every decay here, 2000 past it). The
  // device may fuse its multiply and add: a few ulps of the values.
  OpTarget& target = op_target();
  for (const int64_t n : {int64_t{1}, int64_t{37}, int64_t{100003}}) {
    for (const float decay : {0.5f, 0.9f, 0.999f}) {
      CAPTURE(target.name(), n, decay);
      const size_t sz = static_cast<size_t>(n);
      auto average_ref = uniform(sz, -1, 1, 141);
      Backend& mem = target.backend();
      Guarded<float> gaverage(mem, average_ref), gvalues(mem, sz);
      TargetScalars tscalars(mem);
      for (const int64_t step : {int64_t{0}, int64_t{5}, int64_t{2000}}) {
        auto values = uniform(sz, -2, 2, 150 + static_cast<uint32_t>(step));
        StepScalars s;
        s.step = step;
        run_reference([&](Backend& ref) {
          ref.ema_update(host_tensor(average_ref, {n}), host_tensor(values, {n}), decay, &s);
        });
        gvalues.upload(values);
        tscalars.upload(s);
        target.run([&](Backend& dev) {
          dev.ema_update(gaverage.tensor({n}), gvalues.tensor({n}), decay, tscalars.data());
        });
        target.expect_close(gaverage.read(), average_ref, kParams, "average");
      }
      gaverage.check_guards("average");
      gvalues.check_guards("values");
    }
  }
}

}  // namespace emnist::test
