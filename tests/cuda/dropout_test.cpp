// Inverted dropout on the CUDA backend against the CPU backend: the mask is a pure function of
// (seed, layer, step, element), the step read from device memory, so the two must agree bit for
// bit: the same elements dropped, the same scaled values kept.
#include <catch2/catch.hpp>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

void check_dropout(int64_t n, float p, uint64_t seed, uint32_t layer, int64_t step,
                   uint32_t data_seed) {
  CAPTURE(n, p, seed, layer, step);
  const size_t sz = static_cast<size_t>(n);
  // Inputs away from zero, so a zero in the output means "dropped" and nothing else.
  auto x = uniform(sz, 0.5f, 2.0f, data_seed);
  auto dy = uniform(sz, -2.0f, -0.5f, data_seed + 1);
  StepScalars scalars;
  scalars.lr = 0.1f;
  scalars.step = step;

  auto y_ref = nan_vector(sz), dx_ref = nan_vector(sz);
  cpu().dropout_forward(host_tensor(x, {n}), host_tensor(y_ref, {n}), p, seed, layer, &scalars);
  cpu().dropout_backward(host_tensor(dy, {n}), host_tensor(dx_ref, {n}), p, seed, layer, &scalars);

  Backend& dev = gpu();
  Guarded<float> gx(dev, x), gdy(dev, dy), gy(dev, sz), gdx(dev, sz);
  // The step scalars live in device memory, as StepRunner keeps them.
  auto* dscalars = static_cast<StepScalars*>(dev.allocate(sizeof(StepScalars)));
  dev.copy_from_host(dscalars, &scalars, sizeof scalars);
  dev.dropout_forward(gx.tensor({n}), gy.tensor({n}), p, seed, layer, dscalars);
  dev.dropout_backward(gdy.tensor({n}), gdx.tensor({n}), p, seed, layer, dscalars);
  const auto y = gy.read(), dx = gdx.read();
  dev.release(dscalars);

  int64_t zeros_gpu = 0, zeros_cpu = 0, mask_differs = 0;
  for (size_t i = 0; i < sz; ++i) {
    zeros_gpu += y[i] == 0.0f;
    zeros_cpu += y_ref[i] == 0.0f;
    mask_differs += (y[i] == 0.0f) != (y_ref[i] == 0.0f);
  }
  INFO("dropped: gpu " << zeros_gpu << ", cpu " << zeros_cpu);
  CHECK(mask_differs == 0);
  expect_same_bits(y, y_ref, "y");
  expect_same_bits(dx, dx_ref, "dx");
  // Backward drops exactly the elements forward dropped.
  for (size_t i = 0; i < sz; ++i) REQUIRE((y[i] == 0.0f) == (dx[i] == 0.0f));
  for (const auto* g : {&gx, &gdy, &gy, &gdx}) g->check_guards("dropout");
}

}  // namespace

TEST_CASE("cuda dropout: small case", "[cuda][dropout][sanitize]") {
  check_dropout(37, 0.3f, 7, 2, 5, 71);
}

TEST_CASE("cuda dropout: masks and values are bit-identical to the CPU's", "[cuda][dropout]") {
  uint32_t data_seed = 6000;
  for (int64_t n : {1, 37, 1000, 100003}) {
    for (float p : {0.0f, 0.2f, 0.5f, 0.9f}) {
      check_dropout(n, p, 1, 0, 0, data_seed += 10);
      check_dropout(n, p, 12345, 3, 7, data_seed += 10);
    }
  }
}

TEST_CASE("cuda dropout: the mask follows the step read from device memory", "[cuda][dropout]") {
  // Same buffer, new step value written in between: a new mask, without re-launch parameters.
  const int64_t n = 4096;
  const size_t sz = static_cast<size_t>(n);
  Backend& dev = gpu();
  Guarded<float> gx(dev, std::vector<float>(sz, 1.0f)), gy(dev, sz);
  auto* dscalars = static_cast<StepScalars*>(dev.allocate(sizeof(StepScalars)));
  std::vector<std::vector<float>> masks;
  for (int64_t step : {0, 1}) {
    StepScalars s;
    s.step = step;
    dev.copy_from_host(dscalars, &s, sizeof s);
    dev.dropout_forward(gx.tensor({n}), gy.tensor({n}), 0.5f, 9, 1, dscalars);
    masks.push_back(gy.read());
    auto ref = nan_vector(sz);
    std::vector<float> ones(sz, 1.0f);
    cpu().dropout_forward(host_tensor(ones, {n}), host_tensor(ref, {n}), 0.5f, 9, 1, &s);
    expect_same_bits(masks.back(), ref, "mask at this step");
  }
  dev.release(dscalars);
  CHECK(masks[0] != masks[1]);
}
