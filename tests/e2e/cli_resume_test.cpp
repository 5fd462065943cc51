// End to end through the command line: interrupting a run (SIGINT, SIGTERM, kill -9 during a
// checkpoint write) and resuming it gives the model an uninterrupted run gives, byte for byte;
// divergence names the step and the last good checkpoint; bad checkpoints and flags are one-line
// errors with exit code 2. The faults come from EMNIST_FAULT, so each happens at an exact step.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "e2e/run_cli.hpp"
#include "emnist/checkpoint.hpp"
#include "emnist/config.hpp"
#include "emnist/safetensors.hpp"
#include "support/support.hpp"
#include "support/train_fixtures.hpp"

using namespace emnist;
using Catch::Matchers::Contains;
using namespace emnist::e2e;

namespace {

// metrics.csv without the timing columns (the 7th and 8th: seconds, samples per second).
std::string metrics_without_times(const std::filesystem::path& run) {
  std::istringstream in(test::read_text(run / "metrics.csv"));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    int column = 0;
    for (std::string field; std::getline(fields, field, ','); ++column)
      if (column != 6 && column != 7) out += field + ",";
    out += "\n";
  }
  return out;
}

struct Reference {
  test::TempDir dir{"emnist-resume"};
  std::filesystem::path config = write_setup(dir);
  std::filesystem::path run = dir / "uninterrupted";
  Reference() {
    const auto r = train(config, run);
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
};

// `emnist train --resume run` finishes, says `says`, and ends with the uninterrupted run's model.
void resume_to_reference(const Reference& ref, const std::filesystem::path& run,
                         const std::string& says) {
  const auto resumed = resume(run);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Contains(says));
  CHECK(test::read_text(run / "model.safetensors") ==
        test::read_text(ref.run / "model.safetensors"));
  CHECK(test::read_text(run / "model_best.safetensors") ==
        test::read_text(ref.run / "model_best.safetensors"));
}

// Interrupted once by `fault`, then resumed: the same model bytes and metrics as the reference.
void check_interrupt_and_resume(const Reference& ref, const std::string& fault, int exit_code,
                                const std::string& stopped_at) {
  const auto run = ref.dir / ("run-" + fault);
  const auto stopped = train(ref.config, run, fault);
  INFO(stopped.output);
  REQUIRE(stopped.exit_code == exit_code);
  CHECK_THAT(stopped.output, Contains(stopped_at));
  CHECK_THAT(stopped.output, Contains("continue with: emnist train --resume " + run.string()));
  CHECK(std::filesystem::is_regular_file(checkpoint_file(run)));
  // Nothing that looks finished.
  CHECK_FALSE(std::filesystem::exists(run / "model.safetensors"));
  CHECK_FALSE(std::filesystem::exists(run / "summary.json"));

  resume_to_reference(ref, run, "resuming from");
  CHECK(metrics_without_times(run) == metrics_without_times(ref.run));
  CHECK(test::read_text(run / "predictions_test.csv") ==
        test::read_text(ref.run / "predictions_test.csv"));
}

}  // namespace

TEST_CASE(
    "e2e resume: SIGINT mid-epoch and SIGTERM between epochs, then --resume, give the "
    "uninterrupted run's model byte for byte",
    "[e2e][resume]") {
  const Reference ref;
  // Step 25 is step 7 of epoch 2.
  check_interrupt_and_resume(ref, "sigint@step=25", 130,
                             "interrupted by SIGINT at step 7 of 18 in epoch 2");
  // The epoch's last step: the epoch finishes (validation, checkpoint) before the run stops.
  check_interrupt_and_resume(ref, "sigterm@step=" + std::to_string(kStepsPerEpoch), 143,
                             "interrupted by SIGTERM at the end of epoch 1");
  check_interrupt_and_resume(ref, "sigint@step=" + std::to_string(2 * kStepsPerEpoch), 130,
                             "interrupted by SIGINT at the end of epoch 2");
}

TEST_CASE(
    "e2e resume: with train.ema (the checkpoint carries the weight average) and with [augment] "
    "and balanced sampling, the resumed run ends with the uninterrupted run's model byte for byte",
    "[e2e][resume]") {
  test::TempDir dir{"emnist-resume-options"};
  const auto plain_config = write_setup(dir);
  const auto plain = dir / "plain";
  check_succeeded(train(plain_config, plain));
  for (const bool ema : {true, false}) {
    CAPTURE(ema);
    Config c = load_config(plain_config);
    if (ema) {
      c.train.ema = 0.9;
    } else {
      c.augment.rotation = 10;
      c.augment.translate = 2;
      c.augment.elastic = 1;
      c.train.sampling = Sampling::balanced;
    }
    const std::string name = ema ? "ema" : "augment-balanced";
    const auto config = dir / (name + ".toml");
    test::write_file(config, to_toml(c));
    const auto reference = dir / (name + "-uninterrupted");
    check_succeeded(train(config, reference));
    // The option changed what was trained.
    CHECK(test::read_text(reference / "model.safetensors") !=
          test::read_text(plain / "model.safetensors"));

    const auto run = dir / (name + "-interrupted");
    const auto stopped = train(config, run, "sigint@step=25");
    INFO(stopped.output);
    REQUIRE(stopped.exit_code == 130);
    const Checkpoint checkpoint = read_checkpoint(run);
    if (ema) {
      REQUIRE(checkpoint.average.size() == checkpoint.model.size());
      size_t differing = 0;
      for (const auto& [tensor, t] : checkpoint.model)
        differing += checkpoint.average.at(tensor).values != t.values;
      CHECK(differing > 0);
    } else {
      CHECK(checkpoint.average.empty());
    }
    const auto resumed = resume(run);
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    CHECK(test::read_text(run / "model.safetensors") ==
          test::read_text(reference / "model.safetensors"));
    CHECK(metrics_without_times(run) == metrics_without_times(reference));
  }
}

TEST_CASE(
    "e2e resume: kill -9 during a checkpoint write leaves the previous checkpoint, which "
    "resumes to the same model",
    "[e2e][resume]") {
  const Reference ref;
  const auto run = ref.dir / "killed";
  // The second checkpoint is the end of epoch 2; the process dies halfway through writing it.
  const auto killed = train(ref.config, run, "sigkill@checkpoint=2");
  INFO(killed.output);
  REQUIRE(killed.exit_code == 128 + 9);
  const Checkpoint c = read_checkpoint(run);
  CHECK(c.epoch == 1);
  CHECK(c.step == 0);
  CHECK(c.history.size() == 1);

  resume_to_reference(ref, run, "resuming from the end of epoch 1");
  // The half-written temporary file is gone.
  for (const auto& entry : std::filesystem::directory_iterator(run / "checkpoint"))
    CHECK(entry.path().filename() == "state.safetensors");

  // Killed during the first checkpoint: nothing to resume from, and resume says so.
  const auto early = ref.dir / "killed-early";
  REQUIRE(train(ref.config, early, "sigkill@checkpoint=1").exit_code == 128 + 9);
  const auto none = resume(early);
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Contains("no checkpoint here"));
}

TEST_CASE("e2e resume: a finished run resumed again rewrites the same files", "[e2e][resume]") {
  const Reference ref;
  const std::string model = test::read_text(ref.run / "model.safetensors");
  const auto again = resume(ref.run);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.output, Contains("3 of 3 epochs done"));
  CHECK(test::read_text(ref.run / "model.safetensors") == model);
}

TEST_CASE("e2e divergence: the run stops naming the step and the last good checkpoint",
          "[e2e][resume]") {
  test::TempDir dir("emnist-diverge");
  const auto config = write_setup(dir);
  // NaN after step 22: step 23 (step 5 of epoch 2) is the first whose loss is not finite.
  const auto run = dir / "run";
  const auto r = train(config, run, "nan@step=22");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("training diverged: the loss became NaN or infinite at step 5 of "
                                "18 in epoch 2; the last good checkpoint is " +
                                checkpoint_file(run).string() + " (the end of epoch 1)"));
  CHECK_THAT(r.output,
             Contains("emnist train --resume " + run.string() + " --set train.lr=0.0015"));
  CHECK_FALSE(std::filesystem::exists(run / "model.safetensors"));
  // The last good checkpoint is untouched and resumes (with a lower rate) to a finished run.
  CHECK(read_checkpoint(run).epoch == 1);
  const auto resumed = resume(run, " --set train.lr=0.0015");
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(load_config(run / "config.toml").train.lr == 0.0015);

  // In the first epoch there is no checkpoint yet: the advice is about the configuration.
  const auto early = train(config, dir / "early", "nan@step=3");
  INFO(early.output);
  CHECK(early.exit_code == 2);
  CHECK_THAT(early.output, Contains("training diverged: the loss became NaN or infinite at step 4 "
                                    "of 18 in epoch 1; lower train.lr (now 0.003)"));
  CHECK(early.output.find("batch_norm") == std::string::npos);  // it is on already
  const auto plain = cli("train -c '" + config.string() + "' --out '" + (dir / "plain").string() +
                             "' --set model.batch_norm=false",
                         "nan@step=3");
  CHECK_THAT(plain.output, Contains("(now 0.003) or turn on model.batch_norm"));
}

TEST_CASE("e2e resume: bad checkpoints, configurations and flags are one-line errors, exit 2",
          "[e2e][resume]") {
  test::TempDir dir("emnist-resume-bad");
  const auto config = write_setup(dir);
  const auto run = dir / "run";
  REQUIRE(train(config, run, "sigint@step=" + std::to_string(kStepsPerEpoch + 2)).exit_code == 130);
  const std::string good = test::read_text(checkpoint_file(run));
  auto expect_error = [&](const std::string& args, const std::string& fragment) {
    const auto r = cli(args);
    INFO(args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Contains(fragment));
    CHECK_FALSE(std::filesystem::exists(run / "model.safetensors"));
  };
  const std::string resume_run = "train --resume '" + run.string() + "'";

  test::write_file(checkpoint_file(run), good.substr(0, good.size() - 100));
  expect_error(resume_run,
               checkpoint_file(run).string() + ": not a valid safetensors file: truncated");
  test::write_file(checkpoint_file(run), "[model]\nkind = \"mlp\"\n");
  expect_error(resume_run, checkpoint_file(run).string() + ": not a valid safetensors file");

  // A model file is safetensors, but not a checkpoint.
  Metadata metadata;
  TensorMap tensors = decode_safetensors(good, "good", &metadata);
  TensorMap model_only;
  for (const auto& [name, t] : tensors)
    if (name.rfind("model.", 0) == 0) model_only.emplace(name.substr(6), t);
  test::write_file(checkpoint_file(run), encode_safetensors(model_only));
  expect_error(resume_run, "no emnist checkpoint metadata");

  // Another model's shape under the right name.
  TensorMap reshaped = tensors;
  HostTensor& w = reshaped.at("model.layers.0.weight");
  w.shape = {w.shape[0] / 2, w.shape[1]};
  w.values.resize(w.values.size() / 2);
  test::write_file(checkpoint_file(run), encode_safetensors(reshaped, metadata));
  expect_error(resume_run, "layers.0.weight");

  test::write_file(checkpoint_file(run), good);
  expect_error(resume_run + " --set model.kind=cnn",
               "--set model.kind=cnn: a resumed run keeps its configuration");
  expect_error(resume_run + " -c '" + config.string() + "'", "--config excludes --resume");
  expect_error(resume_run + " --epochs 4", "The following arguments were not expected: 4 --epochs");
  expect_error("train --resume '" + (dir / "nowhere").string() + "'",
               "--resume: Directory does not exist");

  const std::string toml = test::read_text(run / "config.toml");
  const size_t bn = toml.find("batch_norm = true");
  REQUIRE(bn != std::string::npos);
  test::write_file(run / "config.toml",
                   toml.substr(0, bn) + "batch_norm = false" +
                       toml.substr(bn + std::string("batch_norm = true").size()));
  expect_error(resume_run,
               "differs from the configuration the checkpoint was trained with ('batch_norm = "
               "false' was 'batch_norm = true')");
  test::write_file(run / "config.toml", toml);

  // After all that, the good checkpoint still finishes the run.
  const auto r = resume(run);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(std::filesystem::is_regular_file(run / "model.safetensors"));
}

TEST_CASE("e2e: a run directory that cannot hold checkpoints fails before training",
          "[e2e][resume]") {
  test::TempDir dir("emnist-unwritable");
  const auto config = write_setup(dir);
  // A regular file where the checkpoint folder goes (root ignores modes): --out refuses a folder
  // with files it did not write; with --force the engine's names are cleared first, the stray
  // "checkpoint" file among them, and the run goes ahead.
  const auto run = dir / "run";
  test::write_file(run / "checkpoint", "in the way");
  const auto r = train(config, run);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("--out " + run.string() + ": holds other files"));
  CHECK(r.output.find("epoch 1/") == std::string::npos);

  const auto through_file = train(config, dir / "run.toml" / "run");
  INFO(through_file.output);
  CHECK(through_file.exit_code == 2);
  CHECK_THAT(through_file.output, Contains("cannot create the run directory"));

  const auto bad_fault = train(config, dir / "run2", "sigint@epoch=1");
  CHECK(bad_fault.exit_code == 2);
  CHECK_THAT(bad_fault.output, Contains("EMNIST_FAULT=sigint@epoch=1: not a fault"));
}
