// regularize on the CUDA backend against the CPU backend: the gradient update rounds the same
// operations in the same order (exact, an ulp allowed should a compiler fuse them), the penalty is
// a double sum in another order (an ulp).
#include <catch2/catch.hpp>

#include <limits>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

void check_regularize(int64_t n, float l1, float l2, bool with_grads, uint32_t seed) {
  CAPTURE(n, l1, l2, with_grads);
  const size_t sz = static_cast<size_t>(n);
  auto w = uniform(sz, -1, 1, seed);
  for (size_t i = 0; i < sz; i += 7) w[i] = 0.0f;  // sign(0) = 0: no L1 push
  auto g = uniform(sz, -0.1f, 0.1f, seed + 1);

  auto g_ref = g;
  float penalty_ref = std::numeric_limits<float>::quiet_NaN();
  cpu().regularize(host_tensor(w, {n}), with_grads ? host_tensor(g_ref, {n}) : Tensor{}, l1, l2,
                   &penalty_ref);

  Backend& dev = gpu();
  Guarded<float> gw(dev, w), gg(dev, g), gpen(dev, 1);
  dev.regularize(gw.tensor({n}), with_grads ? gg.tensor({n}) : Tensor{}, l1, l2, gpen.data());
  expect_close(gg.read(), g_ref, kOneUlp, "grads");
  expect_close(gw.read(), w, kExact, "weights (unchanged)");
  // Double sums of up to 1e5 terms in another order, rounded once to float.
  expect_close(gpen.read(), {penalty_ref}, Tolerance{1e-9, 1e-6}, "penalty");
  for (const auto* b : {&gw, &gg, &gpen}) b->check_guards("regularize");
}

}  // namespace

TEST_CASE("cuda regularize: small case", "[cuda][regularize][sanitize]") {
  check_regularize(37, 0.01f, 0.1f, true, 101);
}

TEST_CASE("cuda regularize: L1, L2 and both, with and without gradients", "[cuda][regularize]") {
  uint32_t seed = 8000;
  for (int64_t n : {1, 37, 1000, 100003}) {
    check_regularize(n, 0.01f, 0.0f, true, seed += 10);
    check_regularize(n, 0.0f, 0.1f, true, seed += 10);
    check_regularize(n, 0.003f, 0.02f, true, seed += 10);
    check_regularize(n, 0.003f, 0.02f, false, seed += 10);
  }
}

TEST_CASE("cuda regularize: without a penalty output only the gradients change",
          "[cuda][regularize]") {
  const int64_t n = 1000;
  auto w = uniform(static_cast<size_t>(n), -1, 1, 111);
  auto g = uniform(static_cast<size_t>(n), -1, 1, 112);
  auto g_ref = g;
  cpu().regularize(host_tensor(w, {n}), host_tensor(g_ref, {n}), 0.01f, 0.0f, nullptr);
  Backend& dev = gpu();
  Guarded<float> gw(dev, w), gg(dev, g);
  dev.regularize(gw.tensor({n}), gg.tensor({n}), 0.01f, 0.0f, nullptr);
  expect_close(gg.read(), g_ref, kOneUlp, "grads");
  gw.check_guards("weights");
  gg.check_guards("grads");
}
