// End to end: `emnist compare` on two and three tiny real runs, and `emnist study` on tiny sweeps.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "experiments/csv_read.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

test::CommandResult run_cli_passive(const std::string& args) {
  setenv("OMP_WAIT_POLICY", "passive", 0);
  return test::run_cli(args);
}

std::string data_dir() { return (test::require_shared() / "data" / "emnist").string(); }

// A 1,500-image ByMerge holdout run of one epoch: 300 test images.
void train_tiny(const std::filesystem::path& out, const std::string& model_sets) {
  const auto r = run_cli_passive(
      "train --device cpu --out '" + out.string() + "' --data '" + data_dir() +
      "' --set data.dataset=emnist-bymerge --set data.split=holdout --set data.limit=1500"
      " --set train.epochs=1 --set train.batch_size=32" +
      model_sets);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("e2e: compare: two runs side by side in Markdown and CSV", "[e2e][compare]") {
  test::TempDir dir;
  setenv("EMNIST_PYTHON", "/bin/false", 1);  // the runs' own plots are not under test here
  train_tiny(dir / "mlp", " --set model.kind=mlp --set 'model.hidden=[64, 32, 32]'");
  train_tiny(dir / "cnn",
             " --set model.kind=cnn --set 'model.conv=[8, \"pool\", 16, \"pool\"]' --set "
             "'model.hidden=[32]'");
  unsetenv("EMNIST_PYTHON");
  const auto out = dir / "compare";
  const auto r = run_cli_passive("compare '" + (dir / "mlp").string() + "' '" +
                                 (dir / "cnn").string() + "' --out '" + out.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  const std::string md = test::read_text(out / "comparison.md");
  CHECK(r.output.find(md) != std::string::npos);  // stdout shows the Markdown
  for (const char* row :
       {"| | mlp | cnn |", "| model | mlp | cnn |", "| test accuracy |", "| macro precision |",
        "| macro recall (balanced accuracy) |", "| macro F1 |", "| weighted precision |",
        "| weighted recall |", "| weighted F1 |", "| parameters |", "| training time (s) |",
        "| samples/s |", "## Per-class F1 (test)", "| class | support | mlp | cnn | difference |",
        "## Most confused pairs (test)"}) {
    INFO(row);
    CHECK(md.find(row) != std::string::npos);
  }

  const auto runs = sweep::read_csv_file(out / "comparison.csv");
  REQUIRE(runs.size() == 3);
  CHECK(runs[0] == std::vector<std::string>{"run", "dir", "model", "parameters", "epochs",
                                            "test_samples", "test_accuracy", "macro_precision",
                                            "macro_recall", "macro_f1", "weighted_precision",
                                            "weighted_recall", "weighted_f1", "training_seconds",
                                            "samples_per_second"});
  CHECK(runs[1][0] == "mlp");
  CHECK(runs[1][2] == "mlp");
  CHECK(runs[2][2] == "cnn");
  for (size_t i = 1; i < 3; ++i) {
    CHECK(runs[i][5] == "300");
    CHECK(std::stod(runs[i][6]) > 0.02);  // better than 1 in 47
    CHECK(std::stoll(runs[i][3]) > 0);
  }

  const auto f1 = sweep::read_csv_file(out / "per_class_f1.csv");
  REQUIRE(f1.size() == 48);
  CHECK(f1[0] == std::vector<std::string>{"class", "support", "mlp", "cnn"});
  CHECK(f1[1][0] == "0");
  CHECK(std::filesystem::is_regular_file(out / "comparison.png"));

  // The comparison's page: self-contained, and it renders in a real browser where there is one.
  const std::string page = test::read_text(out / "report.html");
  CHECK(page.find("<img src=\"data:image/png;base64,") != std::string::npos);
  CHECK(page.find("http") == std::string::npos);
  const std::string checker = std::string(EMNIST_SOURCE_DIR) + "/tools/check_report_page.py";
  const auto probe = test::run_command("/usr/bin/python3 '" + checker + "' --probe");
  if (probe.exit_code == 0) {
    const auto rendered = test::run_command("/usr/bin/python3 '" + checker + "' '" +
                                            (out / "report.html").string() + "' --min-images 1");
    INFO(rendered.output);
    CHECK(rendered.exit_code == 0);
  } else if (test::in_ci()) {
    FAIL("CI=true but no headless browser to check the comparison page: " + probe.output);
  }
}

TEST_CASE("e2e: compare: three runs (MLP, CNN, ResNet) in one table and one figure",
          "[e2e][compare]") {
  test::TempDir dir;
  setenv("EMNIST_PYTHON", "/bin/false", 1);
  train_tiny(dir / "mlp", " --set model.kind=mlp --set 'model.hidden=[64, 32, 32]'");
  train_tiny(dir / "cnn",
             " --set model.kind=cnn --set 'model.conv=[8, \"pool\", 16, \"pool\"]' --set "
             "'model.hidden=[32]'");
  train_tiny(dir / "resnet",
             " --set model.kind=resnet --set model.stem=8 --set 'model.stages=[8, 16]' --set "
             "'model.blocks=[1, 1]' --set 'model.strides=[1, 2]'");
  unsetenv("EMNIST_PYTHON");
  const auto out = dir / "compare";
  const auto r =
      run_cli_passive("compare '" + (dir / "mlp").string() + "' '" + (dir / "cnn").string() +
                      "' '" + (dir / "resnet").string() + "' --out '" + out.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::string md = test::read_text(out / "comparison.md");
  CHECK(md.find("| model | mlp | cnn | resnet |") != std::string::npos);
  // A difference column is for two runs only.
  CHECK(md.find("| class | support | mlp | cnn | resnet |\n") != std::string::npos);
  const auto runs = sweep::read_csv_file(out / "comparison.csv");
  REQUIRE(runs.size() == 4);
  CHECK(runs[3][0] == "resnet");
  CHECK(runs[3][2] == "resnet");
  CHECK(std::stoll(runs[3][3]) > std::stoll(runs[2][3]) / 100);  // its parameters are counted
  const auto f1 = sweep::read_csv_file(out / "per_class_f1.csv");
  REQUIRE_FALSE(f1.empty());
  CHECK(f1[0] == std::vector<std::string>{"class", "support", "mlp", "cnn", "resnet"});
  CHECK(std::filesystem::is_regular_file(out / "comparison.png"));
}

TEST_CASE("e2e: compare: a directory that is not a finished run is exit code 2", "[e2e][compare]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "empty");
  const auto r = run_cli_passive("compare '" + (dir / "empty").string() + "' --out '" +
                                 (dir / "out").string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("summary.json") != std::string::npos);
}

TEST_CASE("e2e: study: sweeps, final runs and comparison end to end", "[e2e][study]") {
  setenv("EMNIST_PYTHON", "/bin/false", 1);
  test::TempDir dir;
  const std::string smoke =
      (std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / "sweep-smoke.toml").string();
  const std::string args =
      "study --device cpu --data '" + data_dir() + "' --out '" + (dir / "study").string() +
      "' --sweep-mlp '" + smoke + "' --sweep-cnn '" + smoke +
      "' --set-cnn model.kind=cnn --set-cnn 'model.conv=[8, \"pool\", 16, \"pool\"]'"
      " --set-cnn 'model.hidden=[32]' --sweep-resnet '" +
      smoke +
      "' --set-resnet model.kind=resnet --set-resnet model.stem=8 --set-resnet "
      "'model.stages=[8, 16]' --set-resnet 'model.blocks=[1, 1]' --set-resnet "
      "'model.strides=[1, 2]' --set-resnet 'model.hidden=[]'";
  const auto r = run_cli_passive(args);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* path : {"sweep-mlp/trials.csv", "sweep-cnn/best.toml", "sweep-resnet/best.toml",
                           "final-mlp/summary.json", "final-cnn/report_test.csv",
                           "final-resnet/report_test.csv", "compare/comparison.md", "study.md"}) {
    INFO(path);
    CHECK(std::filesystem::is_regular_file(dir / "study" / path));
  }
  CHECK(r.output.find("| model | mlp | cnn | resnet |") != std::string::npos);
  CHECK(r.output.find("| | final-mlp | final-cnn | final-resnet |") != std::string::npos);
  const std::string study = test::read_text(dir / "study" / "study.md");
  CHECK(study.rfind("# Study: MLP vs CNN vs ResNet\n", 0) == 0);
  CHECK(study.find("final-mlp/, final-cnn/, final-resnet/ are ordinary run directories") !=
        std::string::npos);

  // Again: every step is found done.
  const auto again = run_cli_passive(args);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  CHECK(again.output.find("skipped 2 finished trials") != std::string::npos);
  CHECK(again.output.find("final run " + (dir / "study" / "final-resnet").string() +
                          " already trained") != std::string::npos);
  CHECK(again.output.find("already trained with this configuration") != std::string::npos);
}
