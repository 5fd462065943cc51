// End to end through the command line: what a run directory holds whatever the user does. The log
// file is whole under --quiet; a log that cannot be written, a batch norm that cannot work, and a
// resumed run shorter than its checkpoint are one-line errors with exit code 2; temporary files of
// a killed writer are cleaned when the run resumes.
#include <fmt/format.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "e2e/run_cli.hpp"
#include "emnist/checkpoint.hpp"
#include "emnist/config.hpp"
#include "emnist/run_dir.hpp"
#include "support/support.hpp"

using namespace emnist;
using namespace emnist::e2e;
using Catch::Matchers::Contains;

TEST_CASE("e2e run directory: --quiet quiets the console, not train.log", "[e2e][run_dir]") {
  const Setup setup("emnist-quiet");
  const auto& [dir, config, run] = setup;
  const auto r = cli("--quiet train -c '" + config.string() + "' --out '" + run.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("epoch 1/") == std::string::npos);  // the console is quiet
  const std::string log = test::read_text(run / "train.log");
  CHECK_THAT(log, Contains("epoch 1/3"));
  CHECK_THAT(log, Contains("test loss"));
}

TEST_CASE("e2e run directory: a train.log that cannot be written is a one-line user error",
          "[e2e][run_dir]") {
  const Setup setup("emnist-log");
  const auto& [dir, config, run] = setup;
  train_until_interrupted(setup, 3);
  // A directory where the log goes, met when the run is resumed.
  std::filesystem::remove(run / "train.log");
  std::filesystem::create_directories(run / "train.log");
  const auto r = resume(run);
  check_refused(r,
                (run / "train.log").string() + ": cannot write the log: a directory is in the way");
  CHECK(r.output.find("internal error") == std::string::npos);
}

TEST_CASE("e2e run directory: batch norm with batches of one is refused before any work",
          "[e2e][run_dir]") {
  const Setup setup("emnist-bn1");
  const auto& [dir, config, run] = setup;
  const auto r = cli("train -c '" + config.string() + "' --out '" + run.string() +
                     "' --set train.batch_size=1");
  check_refused(r, "train.batch_size = 1 with model.batch_norm = true");
  CHECK_FALSE(std::filesystem::exists(run));
  // Without batch norm a batch of one is a valid (if slow) choice: the config check passes.
  const auto ok = cli("train -c '" + config.string() + "' --out '" + run.string() +
                      "' --set train.batch_size=1 --set model.batch_norm=false --set "
                      "train.epochs=1 --set data.limit=40");
  check_succeeded(ok);
}

TEST_CASE(
    "e2e run directory: a resume that would end before the checkpoint's epoch is refused, and "
    "dead writers' temporary files are cleaned",
    "[e2e][run_dir][resume]") {
  const Setup setup("emnist-resume-short");
  const auto& [dir, config, run] = setup;
  // Stopped at step 7 of epoch 2: part of epoch 2 is in the checkpoint's weights.
  const auto stopped = train(config, run, "sigint@step=" + std::to_string(kStepsPerEpoch + 7));
  INFO(stopped.output);
  REQUIRE(stopped.exit_code == 130);
  const auto short_run = resume(run, " --set train.epochs=1");
  check_refused(short_run,
                "train.epochs = 1: the checkpoint is at step 7 of epoch 2 already; give "
                "train.epochs = 2 or more");
  CHECK_FALSE(std::filesystem::exists(run / "model.safetensors"));

  // What a kill at a rename leaves: a temporary file of a process that is gone (a pid above any
  // pid_max), and one of a live process (this one), which must stay.
  const auto dead = run / "metrics.csv.tmp-999999999";
  const auto dead_checkpoint = checkpoint_file(run).string() + ".tmp-999999999";
  const auto live = run / ("summary.json.tmp-" + std::to_string(::getpid()));
  for (const auto& p : {dead, std::filesystem::path(dead_checkpoint), live})
    test::write_file(p, "half");
  const auto resumed = resume(run, " --set train.epochs=2");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK_FALSE(std::filesystem::exists(dead_checkpoint));
  CHECK(std::filesystem::exists(live));
}

TEST_CASE(
    "e2e run directory: config.toml names the data absolutely, so eval works from any working "
    "directory",
    "[e2e][run_dir]") {
  test::TempDir dir("emnist-data-path");
  Config c = load_config(write_setup(dir));
  c.train.epochs = 1;
  // The data named relative to the folder the run starts in (to_toml writes absolute paths).
  std::string text = to_toml(c);
  for (size_t at; (at = text.find(dir.path().string() + "/")) != std::string::npos;)
    text.erase(at, dir.path().string().size() + 1);
  REQUIRE(text.find("train_images = \"train-images\"") != std::string::npos);
  test::write_file(dir / "relative.toml", text);
  const auto started = test::run_cli("train -c relative.toml --out run", dir.path());
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  const Config saved = load_config(dir / "run" / "config.toml");
  CHECK(saved.data.train_images == (dir / "train-images").string());
  CHECK(std::filesystem::path(saved.data.resolved_dir()).is_absolute());

  // From elsewhere: the same files.
  const auto elsewhere = test::run_cli("eval --run '" + (dir / "run").string() + "'", "/");
  check_succeeded(elsewhere);
}

TEST_CASE("e2e run directory: eval --data follows data that moved since training",
          "[e2e][run_dir]") {
  const auto shared = test::require_shared() / "data" / "emnist";
  test::TempDir dir("emnist-data-moved");
  std::filesystem::create_directory_symlink(shared, dir / "data");
  const auto config = std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / "smoke.toml";
  const auto trained =
      cli("train -c '" + config.string() + "' --data '" + (dir / "data").string() + "' --out '" +
          (dir / "run").string() + "' --set train.epochs=1 --set data.limit=1000");
  INFO(trained.output);
  REQUIRE(trained.exit_code == 0);
  std::filesystem::rename(dir / "data", dir / "moved");
  const auto lost = cli("eval --run '" + (dir / "run").string() + "'");
  check_refused(lost, (dir / "data").string());
  const auto found =
      cli("eval --run '" + (dir / "run").string() + "' --data '" + (dir / "moved").string() + "'");
  check_succeeded(found);
}

TEST_CASE(
    "e2e run directory: --out at an existing run is refused unless --force, which clears the old "
    "run's files only",
    "[e2e][run_dir]") {
  const Setup setup("emnist-out");
  const auto& [dir, config, run] = setup;
  // An interrupted run: the way on is --resume.
  train_until_interrupted(setup, 3);
  const auto over_interrupted = train(config, run);
  check_refused(over_interrupted, "--out " + run.string() +
                                      ": holds an interrupted run; continue it with "
                                      "emnist train --resume " +
                                      run.string());
  CHECK(std::filesystem::exists(checkpoint_file(run)));  // untouched

  REQUIRE(resume(run).exit_code == 0);
  const std::string model = test::read_text(run / "model.safetensors");
  const auto over_finished = train(config, run);
  check_refused(over_finished, "holds a run; choose another --out, or add --force");
  CHECK(test::read_text(run / "model.safetensors") == model);

  // --force: a stale file of the engine's goes, the user's own file stays.
  test::write_file(run / "predictions_train.csv", "stale");
  test::write_file(run / "notes.txt", "mine");
  const auto forced = cli("train -c '" + config.string() + "' --out '" + run.string() +
                          "' --force --set train.epochs=1");
  INFO(forced.output);
  REQUIRE(forced.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(run / "predictions_train.csv"));
  CHECK(test::read_text(run / "notes.txt") == "mine");
  CHECK(load_config(run / "config.toml").train.epochs == 1);
}

TEST_CASE("e2e run directory: a directory another emnist process holds is refused",
          "[e2e][run_dir]") {
  const Setup setup("emnist-lock");
  const auto& [dir, config, run] = setup;
  train_until_interrupted(setup, 3);
  {
    const DirectoryLock held(run, "the run directory");  // as a running training would
    const auto r = resume(run);
    check_refused(r, run.string() +
                         ": the run directory in use by another emnist "
                         "process (pid " +
                         std::to_string(::getpid()) + ")");
    const auto e = cli("eval --run '" + run.string() + "'");
    check_refused(e, "in use by another emnist process");
  }
  std::filesystem::create_directories(dir / "study");
  {
    const DirectoryLock held(dir / "study", "the study directory");
    check_refused(cli("study --out '" + (dir / "study").string() + "'"),
                  (dir / "study").string() +
                      ": the study directory in use by another emnist "
                      "process");
  }
  // Released with its holder (as the kernel does when a process dies, kill -9 included).
  const auto r = resume(run);
  check_succeeded(r);
}

TEST_CASE(
    "e2e run directory: compare and sweep do not write over a run, and a sweep resumes only its "
    "own directory",
    "[e2e][run_dir]") {
  const Setup setup("emnist-overwrite");
  const auto& [dir, config, run] = setup;
  REQUIRE(train(config, run).exit_code == 0);
  const std::string page_or_model = test::read_text(run / "model.safetensors");

  const auto compare =
      cli("compare '" + run.string() + "' '" + run.string() + "' --out '" + run.string() + "'");
  check_refused(compare, "--out " + run.string() + ": holds a run");

  const auto sweep_file = std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / "sweep-smoke.toml";
  const auto sweep = cli("sweep -c '" + sweep_file.string() + "' --out '" + run.string() + "'");
  check_refused(sweep, "--out " + run.string() + ": holds a run, not a sweep");
  CHECK(test::read_text(run / "model.safetensors") == page_or_model);
  CHECK_FALSE(std::filesystem::exists(run / "trials"));

  // Another sweep's directory (its sweep.toml differs).
  const auto other = dir / "other-sweep";
  test::write_file(other / "sweep.toml", "# another sweep\n");
  const auto into_other =
      cli("sweep -c '" + sweep_file.string() + "' --out '" + other.string() + "'");
  check_refused(into_other, "holds another sweep");
}

TEST_CASE("e2e run directory: a run that fails before it learns anything leaves no folder",
          "[e2e][run_dir]") {
  test::TempDir dir("emnist-failed");
  const auto config = write_setup(dir);
  // Truncated images: found, so a run directory is made, then refused when read.
  const Config c = load_config(config);
  const std::string images = test::read_text(c.data.train_images);
  test::write_file(c.data.train_images, images.substr(0, images.size() / 2));
  const auto run = dir / "run";
  const auto r = train(config, run);
  check_refused(r, c.data.train_images);
  CHECK_FALSE(std::filesystem::exists(run));
}

TEST_CASE(
    "e2e run directory: an edited config.toml is refused on resume, even for a key --set may "
    "change; a config.toml one rename behind its checkpoint is not an edit",
    "[e2e][run_dir][resume]") {
  const Setup setup("emnist-edited");
  const auto& [dir, config, run] = setup;
  train_until_interrupted(setup, 3);
  const std::string original = test::read_text(run / "config.toml");
  const size_t lr = original.find("\nlr = ");
  REQUIRE(lr != std::string::npos);
  const std::string edited =
      original.substr(0, lr) + "\nlr = 0.5" + original.substr(original.find('\n', lr + 1));
  test::write_file(run / "config.toml", edited);
  const auto refused = resume(run);
  check_refused(refused,
                "differs from the configuration the checkpoint was trained "
                "with ('lr = 0.5' was 'lr = 0.003')");
  CHECK_THAT(refused.output, Contains("change it with --set"));

  // The same change through --set: the next checkpoint and then config.toml carry it.
  test::write_file(run / "config.toml", original);
  const auto changed =
      resume(run, " --set train.lr=0.002", "sigint@step=" + std::to_string(kStepsPerEpoch));
  INFO(changed.output);
  REQUIRE(changed.exit_code == 130);
  CHECK(load_config(run / "config.toml").train.lr == 0.002);
  // As a kill between the checkpoint's rename and config.toml's would leave it.
  test::write_file(run / "config.toml", original);
  const auto finished = resume(run);
  check_succeeded(finished);
  CHECK(load_config(run / "config.toml").train.lr == 0.002);
}

TEST_CASE(
    "e2e run directory: eval's write errors give no advice about --out, and compare warns about "
    "runs tested on different data",
    "[e2e][run_dir]") {
  const Setup setup("emnist-eval-compare");
  const auto& [dir, config, run] = setup;
  check_succeeded(train(config, run));
  // A folder where eval's confusion file goes: the rename into place fails.
  std::filesystem::remove(run / "confusion_test.csv");
  std::filesystem::create_directories(run / "confusion_test.csv" / "x");
  const auto e = cli("eval --run '" + run.string() + "'");
  check_refused(e, (run / "confusion_test.csv").string() + ": cannot rename into place");
  CHECK(e.output.find("--out") == std::string::npos);  // eval has none
  std::filesystem::remove_all(run / "confusion_test.csv");
  check_succeeded(cli("eval --run '" + run.string() + "'"));

  // The same run as if tested on another dataset.
  const auto other = dir / "other";
  std::filesystem::copy(run, other, std::filesystem::copy_options::recursive);
  std::string summary = test::read_text(other / "summary.json");
  const std::string dataset = "\"dataset\": \"idx\"";
  REQUIRE(summary.find(dataset) != std::string::npos);
  summary.replace(summary.find(dataset), dataset.size(), "\"dataset\": \"emnist-digits\"");
  test::write_file(other / "summary.json", summary);
  const auto compared = cli("compare '" + run.string() + "' '" + other.string() + "' --out '" +
                            (dir / "compare").string() + "'");
  check_succeeded(compared);
  CHECK_THAT(compared.output, Contains("not comparable, and none is marked best"));
  CHECK(test::read_text(dir / "compare" / "comparison.md").find("**0.") == std::string::npos);
}

TEST_CASE("e2e run directory: a model that cannot fit the machine is refused before allocating",
          "[e2e][run_dir]") {
  const Setup setup("emnist-huge");
  const auto& [dir, config, run] = setup;
  const auto r = cli("train -c '" + config.string() + "' --out '" + run.string() +
                     "' --set 'model.hidden=[1048576, 1048576, 1048576]'");
  // Three hidden layers of H = 2^20 units (no bias: batch norm follows, with a weight and a bias
  // per unit) and 16 classes: 784 H + 2 H^2 + 16 H + 16 + 3 * 2 H parameters, four floats each.
  const int64_t h = int64_t{1} << 20;
  const int64_t parameters = 784 * h + 2 * h * h + 16 * h + 16 + 6 * h;
  check_refused(r, fmt::format("the model's {} parameters (values, gradients, optimizer state) "
                               "need {:.1f} GiB, more than the",
                               parameters, 16.0 * static_cast<double>(parameters) / (1 << 30)));
  CHECK_THAT(r.output, Contains("make the model smaller (model.hidden, model.conv)"));
  CHECK_FALSE(std::filesystem::exists(run));
}

TEST_CASE("e2e run directory: a changed byte in a checkpoint or a model is found on load",
          "[e2e][run_dir]") {
  const Setup setup("emnist-flipped");
  const auto& [dir, config, run] = setup;
  train_until_interrupted(setup, 3);
  // One bit of the last tensor's data, and of the checkpoint's metadata (its position).
  const auto flip = [](const std::filesystem::path& file, size_t at) {
    std::string bytes = test::read_text(file);
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    test::write_file(file, bytes);
  };
  const std::string good = test::read_text(checkpoint_file(run));
  flip(checkpoint_file(run), good.size() - 5);
  check_refused(resume(run), checkpoint_file(run).string() + ": damaged");
  test::write_file(checkpoint_file(run), good);
  const size_t step = good.find("\"step\":\"3\"");
  REQUIRE(step != std::string::npos);
  flip(checkpoint_file(run), step + 8);  // "3" becomes "#"
  check_refused(resume(run), checkpoint_file(run).string() + ": damaged");
  test::write_file(checkpoint_file(run), good);
  check_succeeded(resume(run));

  const auto model = run / "model.safetensors";
  flip(model, test::read_text(model).size() - 1);
  check_refused(cli("eval --run '" + run.string() + "'"), model.string() + ": damaged");
}

TEST_CASE("e2e run directory: a resume on other data of the same size is refused",
          "[e2e][run_dir][resume]") {
  const Setup setup("emnist-other-data");
  const auto& [dir, config, run] = setup;
  train_until_interrupted(setup, 3);
  // One pixel of the last training image changed: the same counts, other content.
  const auto images = dir / "train-images";
  std::string bytes = test::read_text(images);
  bytes.back() = static_cast<char>(bytes.back() ^ 0x40);
  test::write_file(images, bytes);
  check_refused(resume(run), "the data differs from what the run trained on");
  bytes.back() = static_cast<char>(bytes.back() ^ 0x40);
  test::write_file(images, bytes);
  check_succeeded(resume(run));
}
