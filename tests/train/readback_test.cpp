// Progress without stalls: StepRunner's progress read-back arrives when the device gets there and
// carries the values of the step it was requested at; a training run reads nothing back mid-epoch
// however often it reports progress, and a device that lags behind the host changes no result.
#include <catch2/catch.hpp>
#include <cstring>

#include "emnist/trainer.hpp"
#include "support/support.hpp"
#include "support/train_fixtures.hpp"
#include "train/batches.hpp"
#include "train/step_runner.hpp"

using namespace emnist;

TEST_CASE("readback: a progress sample arrives late, once, with the values of its step",
          "[readback]") {
  const ImageSet images = train_test::synthetic_images(64, 4, 17, false);
  const Subset all = train_test::whole(images);
  TrainConfig tc;
  tc.batch_size = 16;
  tc.lr = 1e-2;
  // The reference: the same steps on a plain CPU backend, the loss read after each.
  auto reference_backend = make_cpu_backend();
  auto reference_model = make_model(*reference_backend, train_test::small_mlp(), 28, 28, 4, 16, 1);
  reference_model->initialize(1);
  StepRunner reference(*reference_model, tc);
  BatchFeeder reference_feeder(*reference_backend, 16, 784);
  reference_feeder.begin_epoch(all, 1, 0);
  std::vector<float> losses;
  for (int64_t step = 0; step < 4; ++step) {
    reference_feeder.load_step(reference_model->batch(), step, 16);
    reference.train_batch(16, 1e-2f);
    losses.push_back(reference.read_last_loss());
  }
  REQUIRE(losses[0] != losses[2]);

  train_test::CountingBackend backend;
  backend.defer_async = true;
  auto model = make_model(backend, train_test::small_mlp(), 28, 28, 4, 16, 1);
  model->initialize(1);
  StepRunner runner(*model, tc);
  BatchFeeder feeder(backend, 16, 784);
  feeder.begin_epoch(all, 1, 0);
  auto step = [&](int64_t s) {
    feeder.load_step(model->batch(), s, 16);
    runner.train_batch(16, 1e-2f);
  };
  const int64_t reads_before = backend.blocking_reads;
  step(0);
  runner.request_progress();
  CHECK_FALSE(runner.poll_progress().has_value());  // the device has not got there
  step(1);
  runner.request_progress();  // dropped: the first is still on its way
  step(2);
  CHECK(backend.blocking_reads == reads_before);  // nothing so far waited for the device
  backend.catch_up();
  const auto sample = runner.poll_progress();
  REQUIRE(sample.has_value());
  CHECK(sample->step == 1);
  CHECK(sample->loss == losses[0]);  // step 0's loss, although steps 1 and 2 overwrote it since
  CHECK(sample->first_nonfinite == -1);
  CHECK_FALSE(runner.poll_progress().has_value());  // once
  step(3);
  runner.request_progress();
  backend.catch_up();
  const auto next = runner.poll_progress();
  REQUIRE(next.has_value());
  CHECK(next->step == 4);
  CHECK(next->loss == losses[3]);
  CHECK(backend.early_host_writes == 0);
}

TEST_CASE("readback: training reads nothing back mid-epoch, and a lagging device changes nothing",
          "[readback]") {
  test::TempDir dir;
  Config config = train_test::synthetic_idx_run(dir.path(), 320, 64, 5);
  config.train.epochs = 2;
  config.train.batch_size = 16;
  auto run = [&](int log_every, bool lagging, const char* name) {
    config.train.log_every = log_every;
    train_test::CountingBackend backend;
    backend.defer_async = lagging;
    const auto run_dir = dir / name;
    std::filesystem::create_directories(run_dir);
    train_run(config, backend, run_dir);
    backend.catch_up();
    CHECK(backend.early_host_writes == 0);  // each scalar slot rewritten only after its copy
    return std::make_pair(backend.blocking_reads, test::read_text(run_dir / "model.safetensors"));
  };
  // 18 steps an epoch: a progress read-back after every step, or none at all.
  const auto [reads_every_step, model_every_step] = run(1, true, "every");
  const auto [reads_never, model_never] = run(1000, false, "never");
  CHECK(reads_every_step == reads_never);
  CHECK(reads_never > 0);  // epoch ends, evaluation and checkpoints do read
  CHECK(model_every_step == model_never);
}
