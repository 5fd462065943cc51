#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "emnist/error.hpp"
#include "emnist/trainer.hpp"
#include "support/support.hpp"
#include "support/train_fixtures.hpp"

using namespace emnist;

namespace {

// 16 classes (a bright block on a 4x4 grid over noise), written as IDX files; an MLP run on them.
Config synthetic_run(const test::TempDir& dir) {
  return train_test::synthetic_idx_run(dir.path(), 640, 200, 21);
}

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("train_run: fills the run directory, and eval_run reproduces the test figures exactly",
          "[train_run]") {
  test::TempDir dir;
  const Config config = synthetic_run(dir);
  const auto run = dir / "run";
  std::filesystem::create_directories(run);
  auto backend = make_cpu_backend();
  const TrainSummary s = train_run(config, *backend, run);

  // 640 train images less a 10% stratified validation part; 200 test images.
  CHECK(s.val.samples == 64);
  CHECK(s.test.samples == 200);
  CHECK(s.epochs == 3);
  CHECK(s.history.size() == 3);
  CHECK(s.classes == 16);
  // The pattern is easy: measured 1.0 on the test split after 3 epochs.
  CHECK(s.test.accuracy > 0.9);
  CHECK(s.history.back().train_loss < s.history.front().train_loss);

  for (const char* name : {"config.toml", "metrics.csv", "confusion_val.csv", "report_val.csv",
                           "predictions_val.csv", "confusion_test.csv", "report_test.csv",
                           "predictions_test.csv", "summary.json", "model.safetensors"}) {
    INFO(name);
    CHECK(std::filesystem::is_regular_file(run / name));
  }
  CHECK(count_lines(test::read_text(run / "metrics.csv")) == 4);
  CHECK(count_lines(test::read_text(run / "predictions_test.csv")) == 201);
  CHECK(count_lines(test::read_text(run / "confusion_test.csv")) == 17);
  CHECK(count_lines(test::read_text(run / "report_test.csv")) == 1 + 16 + 3);

  const auto summary = nlohmann::json::parse(test::read_text(run / "summary.json"));
  CHECK(summary["parameters"] == s.parameters);
  CHECK(summary["metrics"]["test"]["accuracy"].get<double>() == s.test.accuracy);
  CHECK(summary["device"] == "cpu");
  // The commit the binary was built from (cmake/build_commit.cmake), which a source tree that is a
  // git checkout always has.
  const std::string commit = summary["commit"].get<std::string>();
  const bool checkout = std::filesystem::exists(std::filesystem::path(EMNIST_SOURCE_DIR) / ".git");
  CHECK(std::regex_match(commit, std::regex(checkout ? "[0-9a-f]{40}(-dirty)?" : "unknown")));
  CHECK(summary["versions"]["emnist"].is_string());

  const std::string report = test::read_text(run / "report_test.csv");
  const std::string confusion = test::read_text(run / "confusion_test.csv");
  const std::string predictions = test::read_text(run / "predictions_test.csv");
  const EvalSummary e = eval_run(run, "test", *backend);
  CHECK(e.metrics.samples == s.test.samples);
  CHECK(e.metrics.loss == s.test.loss);  // bit for bit: same batches, same weights, same ops
  CHECK(e.metrics.accuracy == s.test.accuracy);
  CHECK(e.metrics.macro_f1 == s.test.macro_f1);
  // Balanced accuracy: the mean of the classes' recalls (each class counts the same).
  double recall_sum = 0;
  for (const ClassScores& c : e.report.classes) recall_sum += c.recall;
  CHECK(s.test.balanced_accuracy ==
        Approx(recall_sum / static_cast<double>(e.report.classes.size())).epsilon(1e-12));
  CHECK(summary["metrics"]["test"]["balanced_accuracy"].get<double>() == s.test.balanced_accuracy);
  CHECK(test::read_text(run / "report_test.csv") == report);
  CHECK(test::read_text(run / "confusion_test.csv") == confusion);
  CHECK(test::read_text(run / "predictions_test.csv") == predictions);

  const EvalSummary v = eval_run(run, "val", *backend);
  CHECK(v.metrics.loss == s.val.loss);
  CHECK(v.metrics.accuracy == s.val.accuracy);

  // A second identical run gives the same bytes for the model and the same metrics.
  const auto again = dir / "again";
  std::filesystem::create_directories(again);
  const TrainSummary s2 = train_run(config, *backend, again);
  CHECK(s2.test.loss == s.test.loss);
  CHECK(test::read_text(again / "model.safetensors") == test::read_text(run / "model.safetensors"));
}

TEST_CASE("train_run: user errors for a bad split, a corrupt model or an oversized batch",
          "[train_run]") {
  test::TempDir dir;
  Config config = synthetic_run(dir);
  config.train.epochs = 1;
  const auto run = dir / "run";
  std::filesystem::create_directories(run);
  auto backend = make_cpu_backend();
  train_run(config, *backend, run);

  REQUIRE_THROWS_WITH(eval_run(run, "validation", *backend), Catch::Contains("train, val, test"));
  REQUIRE_THROWS_AS(eval_run(dir / "nowhere", "test", *backend), UserError);

  const std::string model = test::read_text(run / "model.safetensors");
  test::write_file(run / "model.safetensors", model.substr(0, model.size() / 2));
  REQUIRE_THROWS_AS(eval_run(run, "test", *backend), UserError);
  REQUIRE_THROWS_WITH(eval_run(run, "test", *backend),
                      Catch::Contains("model.safetensors") && Catch::Contains("truncated"));

  config.train.batch_size = 4096;
  REQUIRE_THROWS_WITH(train_run(config, *backend, run), Catch::Contains("train.batch_size"));
}

TEST_CASE("train_run: keeps the best validation epoch's model beside the last; eval can use it",
          "[train_run]") {
  // A constant rate, so that the runs of 1, 2 and 3 epochs are prefixes of each other: the best
  // epoch's model is the model of the run that stopped there.
  test::TempDir dir;
  Config config = synthetic_run(dir);
  config.train.schedule = ScheduleKind::constant;
  config.train.lr = 3e-3;
  auto backend = make_cpu_backend();
  std::vector<std::filesystem::path> runs;
  TrainSummary full;
  for (int epochs = 1; epochs <= 3; ++epochs) {
    config.train.epochs = epochs;
    runs.push_back(dir / ("epochs" + std::to_string(epochs)));
    std::filesystem::create_directories(runs.back());
    full = train_run(config, *backend, runs.back());
  }
  // The earliest epoch with the highest validation accuracy.
  int best = 1;
  for (int e = 2; e <= 3; ++e)
    if (full.history[static_cast<size_t>(e - 1)].val_accuracy >
        full.history[static_cast<size_t>(best - 1)].val_accuracy)
      best = e;
  CAPTURE(best);
  CHECK(full.best_epoch == best);
  const auto& last = runs.back();
  CHECK(test::read_text(last / "model_best.safetensors") ==
        test::read_text(runs[static_cast<size_t>(best - 1)] / "model.safetensors"));
  const auto summary = nlohmann::json::parse(test::read_text(last / "summary.json"));
  CHECK(summary["best_epoch"]["epoch"] == best);
  CHECK(summary["best_epoch"]["val_accuracy"].get<double>() ==
        full.history[static_cast<size_t>(best - 1)].val_accuracy);

  // eval --weights best: the best epoch's model, in files of its own beside the last model's.
  const std::string last_report = test::read_text(last / "report_test.csv");
  const EvalSummary e = eval_run(last, "test", *backend, {}, EvalWeights::best);
  CHECK(e.split == "test_best");
  const EvalSummary then = eval_run(runs[static_cast<size_t>(best - 1)], "test", *backend);
  CHECK(e.metrics.loss == then.metrics.loss);
  CHECK(test::read_text(last / "report_test_best.csv") ==
        test::read_text(runs[static_cast<size_t>(best - 1)] / "report_test.csv"));
  CHECK(test::read_text(last / "report_test.csv") == last_report);

  // Without a validation split there is no best epoch, and eval says why.
  config.data.val_fraction = 0;
  const auto no_val = dir / "no-val";
  std::filesystem::create_directories(no_val);
  const TrainSummary s = train_run(config, *backend, no_val);
  CHECK(s.best_epoch == 0);
  CHECK_FALSE(std::filesystem::exists(no_val / "model_best.safetensors"));
  REQUIRE_THROWS_WITH(
      eval_run(no_val, "test", *backend, {}, EvalWeights::best),
      Catch::Contains("model_best.safetensors") && Catch::Contains("data.val_fraction"));
}

TEST_CASE("eval_ensemble: the mean of the runs' probabilities, as an ordinary set of split files",
          "[train_run]") {
  test::TempDir dir;
  Config config = synthetic_run(dir);
  config.train.epochs = 2;
  auto backend = make_cpu_backend();
  auto train_seed = [&](uint64_t seed, const std::string& name) {
    Config c = config;
    c.train.seed = seed;
    std::filesystem::create_directories(dir / name);
    return train_run(c, *backend, dir / name);
  };
  const TrainSummary a = train_seed(1, "a");
  train_seed(1, "a-again");
  train_seed(2, "b");

  // Two copies of one model: the ensemble is that model.
  const auto same = dir / "same";
  std::filesystem::create_directories(same);
  const EvalSummary twice = eval_ensemble({dir / "a", dir / "a-again"}, "test", *backend, same);
  CHECK(twice.metrics.accuracy == a.test.accuracy);
  CHECK(twice.metrics.macro_f1 == a.test.macro_f1);
  CHECK(twice.metrics.loss == Approx(a.test.loss).epsilon(1e-6));
  CHECK(test::read_text(same / "confusion_test.csv") ==
        test::read_text(dir / "a" / "confusion_test.csv"));

  // Two different models: the files of a split, and ensemble.json naming the members.
  const auto pair = dir / "pair";
  std::filesystem::create_directories(pair);
  const EvalSummary e = eval_ensemble({dir / "a", dir / "b"}, "test", *backend, pair);
  CHECK(e.metrics.samples == a.test.samples);
  for (const char* name : {"confusion_test.csv", "report_test.csv", "predictions_test.csv"})
    CHECK(count_lines(test::read_text(pair / name)) > 1);
  const auto json = nlohmann::json::parse(test::read_text(pair / "ensemble.json"));
  CHECK(json["members"].size() == 2);
  CHECK(json["metrics"]["accuracy"].get<double>() == e.metrics.accuracy);

  // Runs that split the data otherwise are refused by name: data.seed draws another validation
  // part (the official test file is the same).
  Config other = config;
  other.data.seed = 7;
  std::filesystem::create_directories(dir / "other");
  train_run(other, *backend, dir / "other");
  CHECK_NOTHROW(eval_ensemble({dir / "a", dir / "other"}, "test", *backend, pair));
  REQUIRE_THROWS_WITH(eval_ensemble({dir / "a", dir / "other"}, "val", *backend, pair),
                      Catch::Contains("other") && Catch::Contains("split the same data"));
  REQUIRE_THROWS_WITH(eval_ensemble({dir / "a"}, "test", *backend, pair),
                      Catch::Contains("at least two runs"));
}

TEST_CASE("balanced_class_weights: n / (classes * count), 0 for a class the split lacks",
          "[train_run]") {
  ImageSet images;
  images.count = 7;
  images.labels = {0, 0, 0, 0, 1, 1, 2};
  Subset split;
  split.source = &images;
  split.indices = {0, 1, 2, 3, 4, 5};  // no sample of class 2
  const std::vector<float> w = balanced_class_weights(split, 3);
  REQUIRE(w.size() == 3);
  CHECK(w[0] == Approx(6.0 / (3.0 * 4.0)));
  CHECK(w[1] == Approx(6.0 / (3.0 * 2.0)));
  CHECK(w[2] == 0.0f);
}
