// End to end: `emnist sweep` on real data on the CPU. Each trial cross-validates on the training
// part only; the table, best.toml, resumption, shards and the one-line errors.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <sstream>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "experiments/csv_read.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

// As in cli_train_test.cpp: idle OpenMP threads must not spin beside the other ctest job.
test::CommandResult run_cli_passive(const std::string& args) {
  setenv("OMP_WAIT_POLICY", "passive", 0);
  return test::run_cli(args);
}

// The plots take a second per call (matplotlib's import); only the first test draws them.
void without_plots() { setenv("EMNIST_PYTHON", "/bin/false", 1); }

std::filesystem::path smoke_sweep() {
  return std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / "sweep-smoke.toml";
}

std::string sweep_args(const std::filesystem::path& out, const std::string& more = "",
                       const std::filesystem::path& file = smoke_sweep()) {
  const auto shared = test::require_shared();
  return "sweep --config '" + file.string() + "' --device cpu --data '" +
         (shared / "data" / "emnist").string() + "' --out '" + out.string() + "'" + more;
}

std::vector<std::vector<std::string>> csv(const std::filesystem::path& path) {
  return sweep::read_csv_file(path);
}

size_t column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  REQUIRE(it != header.end());
  return static_cast<size_t>(it - header.begin());
}

// trials.csv without the seconds column: the only one that depends on the machine's load.
std::vector<std::vector<std::string>> without_seconds(std::vector<std::vector<std::string>> rows) {
  const size_t s = column(rows.at(0), "seconds");
  for (auto& r : rows) r.erase(r.begin() + static_cast<std::ptrdiff_t>(s));
  return rows;
}

std::set<int64_t> predicted_indices(const std::filesystem::path& predictions) {
  std::set<int64_t> out;
  const auto rows = csv(predictions);
  for (size_t i = 1; i < rows.size(); ++i) out.insert(std::stoll(rows[i].at(0)));
  return out;
}

}  // namespace

TEST_CASE("e2e: sweep: 2 values x 2 folds on real data, best.toml, resumption, no test image",
          "[e2e][sweep]") {
  test::TempDir dir;
  const auto out = dir / "sweep";
  const auto r = run_cli_passive(sweep_args(out));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("the 120 test images were carved away first and are never used") !=
        std::string::npos);

  // The table: one row per trial, best first, every column.
  const auto rows = csv(out / "trials.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"rank", "trial", "key", "train.lr", "status", "folds",
                                            "val_accuracy_mean", "val_accuracy_std",
                                            "val_loss_mean", "val_loss_std", "epochs", "seconds",
                                            "val_balanced_accuracy_mean", "val_macro_f1_mean"});
  std::set<std::string> lrs;
  for (size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i][0] == std::to_string(i));
    CHECK(rows[i][4] == "done");
    CHECK(rows[i][5] == "2/2");
    CHECK(rows[i][10] == "1");
    CHECK(std::stod(rows[i][6]) > 0);
    CHECK(std::stod(rows[i][7]) >= 0);
    CHECK(std::stod(rows[i][8]) > 0);
    lrs.insert(rows[i][3]);
  }
  CHECK(lrs == std::set<std::string>{"0.01", "0.001"});
  CHECK(std::stod(rows[1][6]) >= std::stod(rows[2][6]));
  const std::string md = test::read_text(out / "trials.md");
  CHECK(md.find("| rank | trial | key | train.lr | status |") != std::string::npos);
  CHECK(md.find("| 2 | ") != std::string::npos);
  CHECK(std::filesystem::is_regular_file(out / "plots" / "axes.png"));

  // best.toml is the winner's resolved configuration, and a valid one.
  const std::string best_key = rows[1][2];
  const Config best = load_config(out / "best.toml");
  validate(best);
  const Config winner = load_config(out / "trials" / best_key / "config.toml");
  CHECK(to_toml(best) == to_toml(winner));
  CHECK(best.train.lr == std::stod(rows[1][3]));

  // Every fold's metrics are kept; the folds together are exactly the training part.
  const Dataset data = load_dataset(winner.data);
  const Splits splits = make_splits(data, winner.data);
  std::set<int64_t> pool(splits.train.indices.begin(), splits.train.indices.end());
  pool.insert(splits.val.indices.begin(), splits.val.indices.end());
  for (size_t i = 1; i < rows.size(); ++i) {
    std::set<int64_t> validated;
    for (int f = 1; f <= 2; ++f) {
      const auto fold = out / "trials" / rows[i][2] / ("fold" + std::to_string(f));
      INFO(fold);
      CHECK(std::filesystem::is_regular_file(fold / "metrics.csv"));
      CHECK_FALSE(std::filesystem::exists(fold / "model.safetensors"));
      CHECK_FALSE(std::filesystem::exists(fold / "report_test.csv"));
      const auto part = predicted_indices(fold / "predictions_val.csv");
      CHECK(part.size() == 240);
      validated.insert(part.begin(), part.end());
    }
    CHECK(validated == pool);
  }
  for (int64_t t : splits.test.indices) CHECK(pool.count(t) == 0);
  CHECK(splits.test.size() == 120);

  // Running it again finds both trials finished and changes nothing.
  const std::string csv_before = test::read_text(out / "trials.csv");
  const std::string md_before = test::read_text(out / "trials.md");
  const std::string best_before = test::read_text(out / "best.toml");
  without_plots();
  const auto again = run_cli_passive(sweep_args(out));
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(again.output.find("skipped 2 finished trials") != std::string::npos);
  CHECK(again.output.find("fold 1/2") == std::string::npos);
  CHECK(test::read_text(out / "trials.csv") == csv_before);
  CHECK(test::read_text(out / "trials.md") == md_before);
  CHECK(test::read_text(out / "best.toml") == best_before);
}

TEST_CASE("e2e: sweep: shards joined by --merge give the unsharded table", "[e2e][sweep]") {
  without_plots();
  test::TempDir dir;
  const auto whole = run_cli_passive(sweep_args(dir / "whole"));
  INFO(whole.output);
  REQUIRE(whole.exit_code == 0);
  for (int i = 0; i < 2; ++i) {
    const auto shard = run_cli_passive(
        sweep_args(dir / ("shard" + std::to_string(i)), " --shard " + std::to_string(i) + "/2"));
    INFO(shard.output);
    REQUIRE(shard.exit_code == 0);
    CHECK(shard.output.find("shard " + std::to_string(i) + "/2: 1 of the 2 trials") !=
          std::string::npos);
    CHECK(csv(dir / ("shard" + std::to_string(i)) / "trials.csv").size() == 2);
  }
  const auto merged =
      run_cli_passive("sweep --merge '" + (dir / "shard0").string() + "' '" +
                      (dir / "shard1").string() + "' --out '" + (dir / "merged").string() + "'");
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  CHECK(merged.output.find("2 of 2 planned trials have results") != std::string::npos);
  CHECK(without_seconds(csv(dir / "merged" / "trials.csv")) ==
        without_seconds(csv(dir / "whole" / "trials.csv")));
  CHECK(test::read_text(dir / "merged" / "best.toml") ==
        test::read_text(dir / "whole" / "best.toml"));
}

TEST_CASE("e2e: sweep: with the official split the test files are never opened", "[e2e][sweep]") {
  without_plots();
  const auto shared = test::require_shared() / "data" / "emnist";
  test::TempDir dir;
  // The real ByMerge images as the train set; test files that cannot be read at all.
  const auto data = dir / "data";
  std::filesystem::create_directories(data);
  for (const char* kind : {"images-idx3", "labels-idx1"})
    std::filesystem::create_symlink(
        shared / (std::string("emnist-bymerge-test-") + kind + "-ubyte.gz"),
        data / (std::string("emnist-bymerge-train-") + kind + "-ubyte.gz"));
  std::filesystem::copy_file(shared / "emnist-bymerge-mapping.txt",
                             data / "emnist-bymerge-mapping.txt");
  test::write_file(data / "emnist-bymerge-test-images-idx3-ubyte.gz", "not images");
  test::write_file(data / "emnist-bymerge-test-labels-idx1-ubyte.gz", "not labels");
  const std::string common =
      " --device cpu --data '" + data.string() + "' --set data.split=official --set data.limit=600";

  const auto r = run_cli_passive("sweep --config '" + smoke_sweep().string() + "' --out '" +
                                 (dir / "sweep").string() + "'" + common);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("the test files were not opened") != std::string::npos);
  CHECK(test::read_text(dir / "sweep" / "trials.md").find("the test files were never read") !=
        std::string::npos);
  CHECK(csv(dir / "sweep" / "trials.csv").size() == 3);

  // Training does read them, and says so: the files above would have been noticed.
  const auto train = run_cli_passive("train --config '" + (dir / "sweep" / "best.toml").string() +
                                     "' --out '" + (dir / "run").string() + "'" + common);
  INFO(train.output);
  CHECK(train.exit_code == 2);
  CHECK(train.output.find("emnist-bymerge-test-") != std::string::npos);
}

TEST_CASE("e2e: sweep: early stopping and the time budget are said", "[e2e][sweep]") {
  without_plots();
  test::TempDir dir;
  // The smoke sweep tries lr 1e-2 first, the better one: 1e-3 then stops after its first fold.
  const std::string smoke = test::read_text(smoke_sweep());
  test::write_file(dir / "prune.toml", "prune_margin = 0.0\n" + smoke);
  const auto r = run_cli_passive(sweep_args(dir / "pruned", "", dir / "prune.toml"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("1 trial stopped early") != std::string::npos);
  const auto rows = csv(dir / "pruned" / "trials.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[2][4] == "pruned");
  CHECK(rows[2][5] == "1/2");
  CHECK(test::read_text(dir / "pruned" / "trials.md").find("stopped after fold 1") !=
        std::string::npos);

  test::write_file(dir / "budget.toml", "budget_minutes = 0.000001\n" + smoke);
  const auto b = run_cli_passive(sweep_args(dir / "budget", "", dir / "budget.toml"));
  INFO(b.output);
  REQUIRE(b.exit_code == 0);
  CHECK(b.output.find("reached: 2 trials not started") != std::string::npos);
  CHECK(test::read_text(dir / "budget" / "trials.md").find("2 trials not started") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "budget" / "best.toml"));
}

TEST_CASE("e2e: sweep: a bad sweep file is exit code 2, one line naming the file and key",
          "[e2e][sweep]") {
  test::TempDir dir;
  struct Case {
    std::string text, key;
  };
  const std::vector<Case> cases = {
      {"colour = 1\n[axes]\n\"train.lr\" = [1e-3]\n", "colour: unknown key"},
      {"[axes]\n\"train.colour\" = [1, 2]\n", "axes.train.colour = 1: unknown key 'train.colour'"},
      {"[axes]\n\"train.lr\" = []\n", "axes.train.lr: is an empty list"},
      {"[axes]\n\"train.lr\" = [1e-3, 20]\n", "axes.train.lr = 20: 20 is out of range"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto file = dir / ("bad" + std::to_string(i) + ".toml");
    test::write_file(file, cases[i].text);
    const auto r = run_cli_passive("sweep --device cpu --config '" + file.string() + "' --out '" +
                                   (dir / "out").string() + "'");
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("sweep " + file.string() + ": " + cases[i].key) != std::string::npos);
    std::istringstream lines(r.output);
    int count = 0;
    for (std::string line; std::getline(lines, line);) ++count;
    CHECK(count == 1);
  }
  // one_at_a_time follows each axis's winner, so it cannot be split into shards.
  const auto file = dir / "oaat.toml";
  test::write_file(file, "mode = \"one_at_a_time\"\n[axes]\n\"train.lr\" = [1e-3, 2e-3]\n");
  const auto r = run_cli_passive("sweep --device cpu --config '" + file.string() + "' --out '" +
                                 (dir / "out").string() + "' --shard 0/2");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("sweep " + file.string() + ": mode = \"one_at_a_time\" cannot be sharded") !=
        std::string::npos);
  // Nothing ran: no sweep directory was even made.
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
}
