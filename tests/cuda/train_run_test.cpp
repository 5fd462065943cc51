// Two epochs of a tiny training run (train_run, the whole trainer: batches, schedule, evaluation,
// run files) on the CPU and on the CUDA backend, from the same configuration and data: the losses
// and accuracies must agree.
//
// Tolerance: each step differs by rounding only, but Adam turns a rounding-level difference in a
// gradient that is nearly zero into an lr-sized difference in that one parameter, and 18 steps
// compound such differences; they stay far below the loss's own scale: 2e-3 relative on losses,
// and accuracies within 2 samples.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "compare.hpp"
#include "emnist/trainer.hpp"
#include "model_fixtures.hpp"
#include "support/support.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

Dataset synthetic_dataset() {
  Dataset d;
  d.name = "synthetic";
  for (int c = 0; c < 16; ++c) d.class_names.push_back(std::string(1, static_cast<char>('A' + c)));
  d.has_train = d.has_test = true;
  d.train = synthetic_images(320, 16, 401);
  d.test = synthetic_images(100, 16, 402);
  return d;
}

Config tiny_run(const ModelConfig& model) {
  Config c;
  c.data.dataset = "idx";
  c.data.val_fraction = 0.1;
  c.model = model;
  c.train.epochs = 2;
  c.train.batch_size = 32;
  c.train.lr = 3e-3;
  c.train.log_every = 4;
  c.train.seed = 5;
  return c;
}

bool close(double gpu_value, double cpu_value, double rtol, double atol) {
  return std::isfinite(gpu_value) &&
         std::fabs(gpu_value - cpu_value) <= atol + rtol * std::fabs(cpu_value);
}

void check_run(const ModelConfig& model) {
  const Dataset data = synthetic_dataset();
  const Config config = tiny_run(model);
  test::TempDir dir("emnist-cuda-train");
  std::filesystem::create_directories(dir / "cpu");
  std::filesystem::create_directories(dir / "cuda");
  const TrainSummary ref = train_run(config, data, cpu(), dir / "cpu");
  const TrainSummary got = train_run(config, data, gpu(), dir / "cuda");

  CHECK(got.device == "cuda");
  REQUIRE(got.history.size() == ref.history.size());
  for (size_t e = 0; e < ref.history.size(); ++e) {
    CAPTURE(e, got.history[e].train_loss, ref.history[e].train_loss, got.history[e].val_loss,
            ref.history[e].val_loss);
    CHECK(close(got.history[e].train_loss, ref.history[e].train_loss, 2e-3, 1e-4));
    CHECK(close(got.history[e].val_loss, ref.history[e].val_loss, 2e-3, 1e-4));
  }
  CAPTURE(got.test.loss, ref.test.loss, got.test.accuracy, ref.test.accuracy, got.val.accuracy,
          ref.val.accuracy);
  CHECK(got.test.samples == ref.test.samples);
  CHECK(close(got.test.loss, ref.test.loss, 2e-3, 1e-4));
  CHECK(std::fabs(got.test.accuracy - ref.test.accuracy) * static_cast<double>(ref.test.samples) <=
        2.0);
  CHECK(std::fabs(got.val.accuracy - ref.val.accuracy) * static_cast<double>(ref.val.samples) <=
        2.0);
  CHECK(std::filesystem::exists(dir / "cuda" / "model.safetensors"));
  CHECK(std::filesystem::exists(dir / "cuda" / "summary.json"));
}

}  // namespace

TEST_CASE("cuda train_run: two epochs of an MLP match the CPU's run", "[cuda][train]") {
  ModelConfig m;
  m.kind = ModelKind::mlp;
  m.hidden = {64, 32, 16};
  m.dropout = 0.1;
  check_run(m);
}

TEST_CASE("cuda train_run: two epochs of a CNN match the CPU's run", "[cuda][train]") {
  ModelConfig m;
  m.kind = ModelKind::cnn;
  m.conv = {{false, 8}, {true, 0}, {false, 16}, {true, 0}};
  m.hidden = {32};
  m.dropout = 0.1;
  check_run(m);
}
