// Optimizers on the CPU backend against PyTorch's torch.optim update rules (2.x documentation:
// SGD with momentum/dampening 0/nesterov, Adam, AdamW, RMSprop not centered), first as small
// literal cases worked out by hand, then as two steps over a large buffer against the same rules
// evaluated step by step in double. The learning rate changes between steps to show it is read
// from the step scalars.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {
namespace {

struct Reference {
  std::vector<double> p, s1, s2;
};

// One step of PyTorch's rules in double. t counts from 1.
void reference_step(const OptimizerParams& o, Reference& r, const std::vector<float>& grads,
                    double lr, int64_t t) {
  for (size_t i = 0; i < r.p.size(); ++i) {
    double g = grads[i];
    double& p = r.p[i];
    switch (o.kind) {
      case OptimizerKind::sgd: {
        g += o.weight_decay * p;
        if (o.momentum != 0.0f) {
          r.s1[i] = t == 1 ? g : o.momentum * r.s1[i] + g;  // buf = g on the first step
          g = o.nesterov ? g + o.momentum * r.s1[i] : r.s1[i];
        }
        p -= lr * g;
        break;
      }
      case OptimizerKind::adam:
      case OptimizerKind::adamw: {
        if (o.kind == OptimizerKind::adamw) {
          p *= 1.0 - lr * o.weight_decay;
        } else {
          g += o.weight_decay * p;
        }
        r.s1[i] = o.beta1 * r.s1[i] + (1.0 - o.beta1) * g;
        r.s2[i] = o.beta2 * r.s2[i] + (1.0 - o.beta2) * g * g;
        const double bc1 = 1.0 - std::pow(static_cast<double>(o.beta1), static_cast<double>(t));
        const double bc2 = 1.0 - std::pow(static_cast<double>(o.beta2), static_cast<double>(t));
        const double denom = std::sqrt(r.s2[i]) / std::sqrt(bc2) + o.eps;
        p -= lr / bc1 * r.s1[i] / denom;
        break;
      }
      case OptimizerKind::rmsprop: {
        g += o.weight_decay * p;
        r.s1[i] = o.alpha * r.s1[i] + (1.0 - o.alpha) * g * g;
        const double avg = std::sqrt(r.s1[i]) + o.eps;
        if (o.momentum > 0.0f) {
          r.s2[i] = o.momentum * r.s2[i] + g / avg;
          p -= lr * r.s2[i];
        } else {
          p -= lr * g / avg;
        }
        break;
      }
    }
  }
}

// Runs two steps of `o` on the backend over n parameters and compares against the reference.
void check_two_steps(const OptimizerParams& o, int64_t n) {
  auto be = make_cpu_backend();
  std::vector<float> p(static_cast<size_t>(n)), g1(p.size()), g2(p.size());
  // Gradients of either sign, at least 0.1 in size (weight decay never cancels them).
  for (size_t i = 0; i < p.size(); ++i) {
    const double x = static_cast<double>(i);
    const double sign1 = i % 2 == 0 ? 1.0 : -1.0, sign2 = i % 3 == 0 ? 1.0 : -1.0;
    p[i] = static_cast<float>(std::sin(x) * 0.4);
    g1[i] = static_cast<float>(sign1 * (0.1 + 0.3 * std::fabs(std::cos(0.7 * x))));
    g2[i] = static_cast<float>(sign2 * (0.1 + 0.2 * std::fabs(std::sin(1.3 * x))));
  }
  std::vector<float> s1(p.size(), 0.0f), s2(p.size(), 0.0f);
  Reference ref{std::vector<double>(p.begin(), p.end()), std::vector<double>(p.size(), 0.0),
                std::vector<double>(p.size(), 0.0)};
  const double lrs[2] = {0.01, 0.03};
  const std::vector<float>* grads[2] = {&g1, &g2};
  for (int64_t step = 0; step < 2; ++step) {
    StepScalars scalars;
    scalars.lr = static_cast<float>(lrs[step]);
    scalars.step = step;
    std::vector<float> g = *grads[step];
    be->optimizer_step(o, view(p, {n}), view(g, {n}), view(s1, {n}), view(s2, {n}), &scalars);
    reference_step(o, ref, *grads[step], static_cast<double>(scalars.lr), step + 1);
  }
  // Float against double after two steps: a few roundings, relative to the value or to the
  // buffer's overall magnitude, whichever is larger. The second covers values that are themselves
  // differences of large terms: RMSprop's momentum buffer is 0.9 * (+-10) + (-+9) when the gradient
  // changes sign, so its float rounding is that of 10, not of the small result.
  const auto magnitude = [](const std::vector<double>& v) {
    double m = 0.0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
  };
  const double scale[3] = {magnitude(ref.p), magnitude(ref.s1), magnitude(ref.s2)};
  const auto close = [](float got, double want, double buffer_scale) {
    return std::fabs(got - want) <= 1e-6 * buffer_scale + 1e-5 * std::fabs(want);
  };
  int64_t bad = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!close(p[i], ref.p[i], scale[0]) || !close(s1[i], ref.s1[i], scale[1]) ||
        !close(s2[i], ref.s2[i], scale[2])) {
      if (bad < 5) {
        UNSCOPED_INFO("element " << i << ": p " << p[i] << " vs " << ref.p[i] << ", s1 " << s1[i]
                                 << " vs " << ref.s1[i] << ", s2 " << s2[i] << " vs " << ref.s2[i]);
      }
      ++bad;
    }
  }
  CHECK(bad == 0);
  CHECK(count_non_finite(p) == 0);
}

OptimizerParams make(OptimizerKind kind, float momentum, bool nesterov, float weight_decay) {
  OptimizerParams o;
  o.kind = kind;
  o.momentum = momentum;
  o.nesterov = nesterov;
  o.weight_decay = weight_decay;
  return o;
}

// One parameter p = 1 with gradient 1 on both steps, lr 0.1: the values a hand computation gives.
std::vector<float> two_unit_steps(const OptimizerParams& o) {
  auto be = make_cpu_backend();
  std::vector<float> p = {1}, g = {1}, s1 = {0}, s2 = {0};
  std::vector<float> trace;
  for (int64_t step = 0; step < 2; ++step) {
    StepScalars scalars;
    scalars.lr = 0.1f;
    scalars.step = step;
    g[0] = 1;
    be->optimizer_step(o, view(p, {1}), view(g, {1}), view(s1, {1}), view(s2, {1}), &scalars);
    trace.push_back(p[0]);
  }
  return trace;
}

}  // namespace

TEST_CASE("cpu sgd steps by hand", "[cpu][optimizer]") {
  // Plain: 1 - 0.1 = 0.9, then 0.8.
  auto plain = two_unit_steps(make(OptimizerKind::sgd, 0.0f, false, 0.0f));
  CHECK(plain[0] == Approx(0.9).epsilon(1e-6));
  CHECK(plain[1] == Approx(0.8).epsilon(1e-6));
  // Momentum 0.9: buf = 1, p = 0.9; buf = 0.9 + 1 = 1.9, p = 0.9 - 0.19 = 0.71.
  auto momentum = two_unit_steps(make(OptimizerKind::sgd, 0.9f, false, 0.0f));
  CHECK(momentum[0] == Approx(0.9).epsilon(1e-6));
  CHECK(momentum[1] == Approx(0.71).epsilon(1e-6));
  // Nesterov: buf = 1, step 1 + 0.9 = 1.9, p = 0.81; buf = 1.9, step 1 + 0.9 * 1.9 = 2.71, p =
  // 0.539.
  auto nesterov = two_unit_steps(make(OptimizerKind::sgd, 0.9f, true, 0.0f));
  CHECK(nesterov[0] == Approx(0.81).epsilon(1e-6));
  CHECK(nesterov[1] == Approx(0.539).epsilon(1e-6));
  // Weight decay 0.5 folds into the gradient: g = 1 + 0.5 p. p = 1 - 0.15 = 0.85, then
  // g = 1.425, p = 0.85 - 0.1425 = 0.7075.
  auto decay = two_unit_steps(make(OptimizerKind::sgd, 0.0f, false, 0.5f));
  CHECK(decay[0] == Approx(0.85).epsilon(1e-6));
  CHECK(decay[1] == Approx(0.7075).epsilon(1e-6));
}

TEST_CASE("cpu adam and adamw steps by hand", "[cpu][optimizer]") {
  // A constant gradient makes the bias-corrected m and v exactly 1 and 1 on every step, so Adam
  // moves by lr / (1 + eps): 0.9, then 0.8.
  auto adam = two_unit_steps(make(OptimizerKind::adam, 0.0f, false, 0.0f));
  CHECK(adam[0] == Approx(0.9).epsilon(1e-6));
  CHECK(adam[1] == Approx(0.8).epsilon(1e-6));
  // AdamW with weight decay 0.5: p *= 1 - 0.05 first, then the same unit Adam step:
  // 0.95 - 0.1 = 0.85, then 0.85 * 0.95 - 0.1 = 0.7075.
  auto adamw = two_unit_steps(make(OptimizerKind::adamw, 0.0f, false, 0.5f));
  CHECK(adamw[0] == Approx(0.85).epsilon(1e-6));
  CHECK(adamw[1] == Approx(0.7075).epsilon(1e-6));
}

TEST_CASE("cpu rmsprop steps by hand", "[cpu][optimizer]") {
  // sq = 0.01, step = 1 / (0.1 + 1e-8) ~ 10: p = 1 - 1 = 0; sq = 0.0199, step 1 / 0.141067
  // = 7.0888, p = -0.70888.
  auto plain = two_unit_steps(make(OptimizerKind::rmsprop, 0.0f, false, 0.0f));
  CHECK(plain[0] == Approx(0.0).margin(1e-6));
  CHECK(plain[1] == Approx(-0.1 / std::sqrt(0.0199)).epsilon(1e-5));
  // Momentum 0.5: buf = 10, p = 0; buf = 5 + 7.0888, p = -1.20888.
  auto momentum = two_unit_steps(make(OptimizerKind::rmsprop, 0.5f, false, 0.0f));
  CHECK(momentum[0] == Approx(0.0).margin(1e-6));
  CHECK(momentum[1] == Approx(-0.1 * (5.0 + 1.0 / std::sqrt(0.0199))).epsilon(1e-5));
}

TEST_CASE("cpu weight average warms its decay up by hand", "[cpu][optimizer]") {
  // decay 0.9, average 0, value 1: step 0 uses 1 / 10 (the average moves to 0.9), step 1 uses
  // 2 / 11 (0.9 + 0.1 * 9 / 11), step 100 uses 0.9 itself, as 101 / 110 > 0.9.
  auto be = make_cpu_backend();
  std::vector<float> average{0.0f}, value{1.0f};
  StepScalars scalars;
  const auto update = [&](int64_t step) {
    scalars.step = step;
    be->ema_update(view(average, {1}), view(value, {1}), 0.9f, &scalars);
    return average[0];
  };
  CHECK(update(0) == Approx(0.9).epsilon(1e-6));
  CHECK(update(1) == Approx(0.9 + 0.1 * 9.0 / 11.0).epsilon(1e-6));
  average[0] = 0.0f;
  CHECK(update(100) == Approx(0.1).epsilon(1e-6));
}

TEST_CASE("cpu optimizers match PyTorch's rules over a large buffer", "[cpu][optimizer]") {
  const int64_t n = 100003;  // large enough for the multi-threaded pass, odd
  SECTION("sgd") { check_two_steps(make(OptimizerKind::sgd, 0.0f, false, 0.01f), n); }
  SECTION("sgd momentum") { check_two_steps(make(OptimizerKind::sgd, 0.9f, false, 0.01f), n); }
  SECTION("sgd nesterov") { check_two_steps(make(OptimizerKind::sgd, 0.9f, true, 0.01f), n); }
  SECTION("adam") { check_two_steps(make(OptimizerKind::adam, 0.0f, false, 0.01f), n); }
  SECTION("adamw") { check_two_steps(make(OptimizerKind::adamw, 0.0f, false, 0.1f), n); }
  SECTION("rmsprop") { check_two_steps(make(OptimizerKind::rmsprop, 0.0f, false, 0.01f), n); }
  SECTION("rmsprop momentum") {
    check_two_steps(make(OptimizerKind::rmsprop, 0.9f, false, 0.01f), n);
  }
}

}  // namespace emnist::test
