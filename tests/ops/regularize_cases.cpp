// regularize on the target against the reference. On CUDA, the gradient update rounds the same
// operations in the same order (exact, an ulp allowed should a compiler fuse them), the penalty is
// a double sum in another order (an ulp).
#include <limits>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

void check_regularize(OpTarget& target, int64_t n, float l1, float l2, bool with_grads,
                      uint32_t seed) {
  CAPTURE(target.name(), n, l1, l2, with_grads);
  const size_t sz = static_cast<size_t>(n);
  auto w = uniform(sz, -1, 1, seed);
  for (size_t i = 0; i < sz; i += 7) w[i] = 0.0f;  // sign(0) = 0: no L1 push
  auto g = uniform(sz, -0.1f, 0.1f, seed + 1);

  auto g_ref = g;
  float penalty_ref = std::numeric_limits<float>::quiet_NaN();
  run_reference([&](Backend& ref) {
    ref.regularize(host_tensor(w, {n}), with_grads ? host_tensor(g_ref, {n}) : Tensor{}, l1, l2,
                   &penalty_ref);
  });

  Backend& mem = target.backend();
  Guarded<float> gw(mem, w), gg(mem, g), gpen(mem, 1);
  target.run([&](Backend& dev) {
    dev.regularize(gw.tensor({n}), with_grads ? gg.tensor({n}) : Tensor{}, l1, l2, gpen.data());
  });
  target.expect_close(gg.read(), g_ref, kOneUlp, "grads");
  target.expect_close(gw.read(), w, kExact, "weights (unchanged)");
  // Double sums of up to 1e5 terms in another order, rounded once to float.
  target.expect_close(gpen.read(), {penalty_ref}, Tolerance{1e-9, 1e-6}, "penalty");
  for (const auto* b : {&gw, &gg, &gpen}) b->check_guards("regularize");
}

}  // namespace

OP_TEST_CASE("regularize: small case", "[regularize][sanitize]") {
  check_regularize(op_target(), 37, 0.01f, 0.1f, true, 101);
}

OP_TEST_CASE("regularize: L1, L2 and both, with and without gradients", "[regularize]") {
  uint32_t seed = 8000;
  for (int64_t n : {1, 37, 1000, 100003}) {
    check_regularize(op_target(), n, 0.01f, 0.0f, true, seed += 10);
    check_regularize(op_target(), n, 0.0f, 0.1f, true, seed += 10);
    check_regularize(op_target(), n, 0.003f, 0.02f, true, seed += 10);
    check_regularize(op_target(), n, 0.003f, 0.02f, false, seed += 10);
  }
}

OP_TEST_CASE("regularize: without a penalty output only the gradients change", "[regularize]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const int64_t n = 1000;
  auto w = uniform(static_cast<size_t>(n), -1, 1, 111);
  auto g = uniform(static_cast<size_t>(n), -1, 1, 112);
  auto g_ref = g;
  run_reference([&](Backend& ref) {
    ref.regularize(host_tensor(w, {n}), host_tensor(g_ref, {n}), 0.01f, 0.0f, nullptr);
  });
  Backend& mem = target.backend();
  Guarded<float> gw(mem, w), gg(mem, g);
  target.run(
      [&](Backend& dev) { dev.regularize(gw.tensor({n}), gg.tensor({n}), 0.01f, 0.0f, nullptr); });
  target.expect_close(gg.read(), g_ref, kOneUlp, "grads");
  target.expect_close(gw.read(), w, kExact, "weights (unchanged)");
  gw.check_guards("weights");
  gg.check_guards("grads");
}

}  // namespace emnist::test
