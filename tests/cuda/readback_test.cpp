// The progress read-back on the GPU: requested after a step, it does not wait for the device; once
// its event says it has arrived it holds that step's loss exactly, even after later steps changed
// the loss on the device; and the step scalars reach the device through the page-locked ring for
// more steps than the ring has slots: the step counter picks the dropout masks and the rate scales
// every update, so the per-step losses of 20 steps are compared with the CPU's.
#include <catch2/catch.hpp>

#include "compare.hpp"
#include "model_fixtures.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda progress read-back: the requested step's loss, delivered without a wait",
          "[cuda][readback]") {
  const int64_t batch = 64;
  const int classes = 10;
  TrainConfig tc;
  tc.seed = 5;
  tc.deterministic = true;
  tc.optimizer =
      OptimizerKind::sgd;  // linear in the gradient: rounding differences stay rounding-sized
  tc.momentum = 0.9;
  const auto x = uniform(static_cast<size_t>(batch * 784), 0, 1, 3);
  const auto y = labels(static_cast<size_t>(batch), classes, 4);
  ModelRun dev(gpu(), reference_mlp(), tc, classes, batch, x, y);
  ModelRun ref(cpu(), reference_mlp(), tc, classes, batch, x, y);

  dev.runner->train_batch(batch, 1e-3f);
  const float first_loss = dev.runner->read_last_loss();
  dev.runner->train_batch(batch, 1e-3f);
  dev.runner->request_progress();
  const float second_loss = dev.runner->read_last_loss();  // waits: the request has arrived too
  REQUIRE(second_loss != first_loss);
  for (int i = 0; i < 3; ++i) dev.runner->train_batch(batch, 1e-3f);
  dev.model->backend().synchronize();
  const auto sample = dev.runner->poll_progress();
  REQUIRE(sample.has_value());
  CHECK(sample->step == 2);
  CHECK(sample->loss == second_loss);
  CHECK(sample->first_nonfinite == -1);
  CHECK_FALSE(dev.runner->poll_progress().has_value());

  // 20 steps in all on each backend (16 more), each at its own rate: more than the ring's slots.
  // Tolerance: 20 SGD steps drift by rounding only (the step test bounds one step at 1e-5 relative
  // for the loss); a stale step counter (other dropout masks) or rate moves a loss by percents.
  std::vector<float> dev_losses, ref_losses;
  for (int i = 0; i < 5; ++i) ref.runner->train_batch(batch, 1e-3f);
  for (int i = 5; i < 20; ++i) {
    const float lr = 1e-3f * static_cast<float>(i);
    dev.runner->train_batch(batch, lr);
    ref.runner->train_batch(batch, lr);
    dev_losses.push_back(dev.runner->read_last_loss());
    ref_losses.push_back(ref.runner->read_last_loss());
  }
  CHECK(dev.runner->steps() == 20);
  expect_close(dev_losses, ref_losses, Tolerance{1e-5, 1e-3}, "losses of steps 6 to 20");
}