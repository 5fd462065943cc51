// Activations on the target against the reference. Every backend calls the same formulas of
// element_math.hpp: ReLU and Leaky ReLU (a compare and a product) must match exactly, and every
// backward too (it only multiplies and adds, given the same y). On CUDA, ELU differs by expf's
// accuracy (the device's expf is within 2 ulp, the host's within 1): 2e-6 relative, plus 3e-7
// absolute because alpha * (expf(x) - 1) cancels near x = 0, where an ulp of expf(x) ~ 1 is 6e-8
// absolute.
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

Activation make(ActivationKind kind, float slope = 0.01f, float alpha = 1.0f) {
  Activation a;
  a.kind = kind;
  a.leaky_slope = slope;
  a.elu_alpha = alpha;
  return a;
}

void check_activation(OpTarget& target, Activation a, int64_t n, bool in_place, uint32_t seed) {
  CAPTURE(target.name(), static_cast<int>(a.kind), a.leaky_slope, a.elu_alpha, n, in_place);
  const size_t sz = static_cast<size_t>(n);
  auto x = uniform(sz, -3, 3, seed);
  x[0] = 0.0f;  // the kink itself
  auto dy = uniform(sz, -1, 1, seed + 1);

  auto y_ref = nan_vector(sz), dx_ref = nan_vector(sz);
  run_reference([&](Backend& ref) {
    ref.activation_forward(a, host_tensor(x, {n}), host_tensor(y_ref, {n}));
    ref.activation_backward(a, host_tensor(y_ref, {n}), host_tensor(dy, {n}),
                            host_tensor(dx_ref, {n}));
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x), gy(mem, sz), gdy(mem, dy), gdx(mem, sz);
  // In place, as the model runs it: y is x's memory, dx is dy's.
  Guarded<float>& out = in_place ? gx : gy;
  Guarded<float>& grad = in_place ? gdy : gdx;
  target.run([&](Backend& dev) { dev.activation_forward(a, gx.tensor({n}), out.tensor({n})); });
  const Tolerance forward = a.kind == ActivationKind::elu ? Tolerance{3e-7, 2e-6} : kExact;
  target.expect_close(out.read(), y_ref, forward, "y");

  // Backward from the reference's y, so that only the backward formula is compared.
  Guarded<float> gyref(mem, y_ref);
  target.run([&](Backend& dev) {
    dev.activation_backward(a, gyref.tensor({n}), gdy.tensor({n}), grad.tensor({n}));
  });
  target.expect_close(grad.read(), dx_ref, kExact, "dx");
  for (const auto* g : {&gx, &gy, &gdy, &gdx, &gyref}) g->check_guards("activation");
}

const Activation kActivations[] = {
    make(ActivationKind::relu),
    make(ActivationKind::leaky_relu, 0.01f),
    make(ActivationKind::leaky_relu, 0.2f),
    make(ActivationKind::elu, 0.01f, 1.0f),
    make(ActivationKind::elu, 0.01f, 0.5f),
};

}  // namespace

OP_TEST_CASE("activation: small case", "[activation][sanitize]") {
  for (const Activation& a : kActivations) check_activation(op_target(), a, 37, false, 61);
}

OP_TEST_CASE("activation: every kind, forward and backward, out of place and in place",
             "[activation]") {
  uint32_t seed = 5000;
  for (const Activation& a : kActivations) {
    for (int64_t n : {1, 37, 1000, 4097, 1 << 20}) {
      check_activation(op_target(), a, n, false, seed += 10);
      check_activation(op_target(), a, n, true, seed += 10);
    }
  }
}

}  // namespace emnist::test
