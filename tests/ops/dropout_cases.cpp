// Inverted dropout on the target against the reference: the mask is a pure function of (seed,
// layer, step, element), the step read from the backend's memory, so the two must agree bit for
// bit: the same elements dropped, the same scaled values kept.
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"
#include "ops/target_scalars.hpp"

namespace emnist::test {
namespace {

void check_dropout(OpTarget& target, int64_t n, float p, uint64_t seed, uint32_t layer,
                   int64_t step, uint32_t data_seed) {
  CAPTURE(target.name(), n, p, seed, layer, step);
  const size_t sz = static_cast<size_t>(n);
  // Inputs away from zero, so a zero in the output means "dropped" and nothing else.
  auto x = uniform(sz, 0.5f, 2.0f, data_seed);
  auto dy = uniform(sz, -2.0f, -0.5f, data_seed + 1);
  StepScalars scalars;
  scalars.lr = 0.1f;
  scalars.step = step;

  auto y_ref = nan_vector(sz), dx_ref = nan_vector(sz);
  run_reference([&](Backend& ref) {
    ref.dropout_forward(host_tensor(x, {n}), host_tensor(y_ref, {n}), p, seed, layer, &scalars);
    ref.dropout_backward(host_tensor(dy, {n}), host_tensor(dx_ref, {n}), p, seed, layer, &scalars);
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x), gdy(mem, dy), gy(mem, sz), gdx(mem, sz);
  TargetScalars tscalars(mem);
  tscalars.upload(scalars);
  target.run([&](Backend& dev) {
    dev.dropout_forward(gx.tensor({n}), gy.tensor({n}), p, seed, layer, tscalars.data());
    dev.dropout_backward(gdy.tensor({n}), gdx.tensor({n}), p, seed, layer, tscalars.data());
  });
  const auto y = gy.read(), dx = gdx.read();

  int64_t zeros_got = 0, zeros_ref = 0, mask_differs = 0;
  for (size_t i = 0; i < sz; ++i) {
    zeros_got += y[i] == 0.0f;
    zeros_ref += y_ref[i] == 0.0f;
    mask_differs += (y[i] == 0.0f) != (y_ref[i] == 0.0f);
  }
  INFO("dropped: target " << zeros_got << ", reference " << zeros_ref);
  CHECK(mask_differs == 0);
  expect_same_bits(y, y_ref, "y");
  expect_same_bits(dx, dx_ref, "dx");
  // Backward drops exactly the elements forward dropped.
  for (size_t i = 0; i < sz; ++i) REQUIRE((y[i] == 0.0f) == (dx[i] == 0.0f));
  for (const auto* g : {&gx, &gdy, &gy, &gdx}) g->check_guards("dropout");
}

}  // namespace

OP_TEST_CASE("dropout: small case", "[dropout][sanitize]") {
  check_dropout(op_target(), 37, 0.3f, 7, 2, 5, 71);
}

OP_TEST_CASE("dropout: masks and values are bit-identical to the CPU's", "[dropout]") {
  uint32_t data_seed = 6000;
  for (int64_t n : {1, 37, 1000, 100003}) {
    for (float p : {0.0f, 0.2f, 0.5f, 0.9f}) {
      check_dropout(op_target(), n, p, 1, 0, 0, data_seed += 10);
      check_dropout(op_target(), n, p, 12345, 3, 7, data_seed += 10);
    }
  }
}

OP_TEST_CASE("dropout: the mask follows the step read from device memory", "[dropout]") {
  // Same buffer, new step value written in between: a new mask, without re-launch parameters.
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const int64_t n = 4096;
  const size_t sz = static_cast<size_t>(n);
  Backend& mem = target.backend();
  Guarded<float> gx(mem, std::vector<float>(sz, 1.0f)), gy(mem, sz);
  TargetScalars tscalars(mem);
  std::vector<std::vector<float>> masks;
  for (int64_t step : {0, 1}) {
    StepScalars s;
    s.step = step;
    tscalars.upload(s);
    target.run([&](Backend& dev) {
      dev.dropout_forward(gx.tensor({n}), gy.tensor({n}), 0.5f, 9, 1, tscalars.data());
    });
    masks.push_back(gy.read());
    auto ref = nan_vector(sz);
    std::vector<float> ones(sz, 1.0f);
    run_reference([&](Backend& reference) {
      reference.dropout_forward(host_tensor(ones, {n}), host_tensor(ref, {n}), 0.5f, 9, 1, &s);
    });
    expect_same_bits(masks.back(), ref, "mask at this step");
  }
  CHECK(masks[0] != masks[1]);
  for (const auto* g : {&gx, &gy}) g->check_guards("dropout");
}

}  // namespace emnist::test
