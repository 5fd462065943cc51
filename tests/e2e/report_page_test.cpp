// End to end: `emnist train` draws the plots and report.html itself, `emnist report` draws them
// again from the run directory alone, and the page renders in a real browser (headless Chromium):
// every image decodes, the console stays clean, nothing is fetched, the page is not blank. Without
// matplotlib, training still succeeds and `emnist report` says what to install.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "emnist/report_page.hpp"
#include "emnist/run_images.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

const std::filesystem::path kSource = EMNIST_SOURCE_DIR;

// Sets an environment variable for the children this test starts, and restores it afterwards, so
// the test cases stay independent when one process runs them all.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A missing tool skips the test here, and fails it under CI=true, where setup.sh installs it.
void need(bool present, const std::string& what) {
  if (present) return;
  if (test::in_ci()) FAIL("CI=true and " << what);
  test::skip(what);
}

void need_matplotlib() {
  try {
    find_plot_python();
  } catch (const PlotDependencyMissing& e) {
    need(false, e.what());
  }
}

// Chromium, its driver, selenium and PIL, as tools/check_report_page.py reports them.
void need_browser() {
  const test::CommandResult probe = test::run_command(
      "/usr/bin/python3 '" + (kSource / "tools" / "check_report_page.py").string() + "' --probe");
  need(probe.exit_code == 0, "no headless browser to check the page: " + probe.output);
}

// configs/smoke.toml: a 3,000-image ByMerge subset, a small MLP, two epochs (seconds).
test::CommandResult train_smoke(const std::filesystem::path& shared,
                                const std::filesystem::path& run) {
  // Passive OpenMP threads, as cli_train_test.cpp explains; a value the user set wins.
  setenv("OMP_WAIT_POLICY", "passive", 0);
  return test::run_cli("train --device cpu --config '" +
                       (kSource / "configs" / "smoke.toml").string() + "' --data '" +
                       (shared / "data" / "emnist").string() + "' --out '" + run.string() + "'");
}

const char* const kPlots[] = {"loss.png",           "accuracy.png", "confusion_val.png",
                              "confusion_test.png", "samples.png",  "predictions.png"};

void check_report_files(const std::filesystem::path& run) {
  for (const char* name : kPlots) {
    INFO(name);
    REQUIRE(std::filesystem::is_regular_file(run / "plots" / name));
    // A PNG, and more than a blank canvas.
    CHECK(test::read_text(run / "plots" / name).rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(std::filesystem::file_size(run / "plots" / name) > 5000);
  }
  REQUIRE(std::filesystem::is_regular_file(run / "report.html"));
  const std::string page = test::read_text(run / "report.html");
  // Self-contained: every plot inside the page, nothing fetched.
  size_t embedded = 0;
  for (size_t at = page.find("src=\"data:image/png;base64,"); at != std::string::npos;
       at = page.find("src=\"data:image/png;base64,", at + 1))
    ++embedded;
  CHECK(embedded == std::size(kPlots) + kPredictionImages);
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  // Left behind by an atomic write that went wrong.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run)) {
    INFO(entry.path());
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  }
}

size_t line_count(const std::string& text) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++n;
  return n;
}

}  // namespace

TEST_CASE("e2e: training draws the plots and report.html, and the page renders in Chromium",
          "[e2e][report]") {
  const auto shared = test::require_shared();
  need_matplotlib();
  need_browser();
  test::TempDir dir;
  const auto run = dir / "run";
  const test::CommandResult t = train_smoke(shared, run);
  INFO(t.output);
  REQUIRE(t.exit_code == 0);
  CHECK(t.output.find("plots skipped") == std::string::npos);
  check_report_files(run);
  // The images the plots show, written by the trainer.
  CHECK(std::filesystem::file_size(run / "samples_train.idx") == 16 + kSampleImages * 28 * 28);
  CHECK(std::filesystem::file_size(run / "predictions_test.idx") ==
        16 + kPredictionImages * 28 * 28);

  // `emnist report` alone, from the run directory's files.
  std::filesystem::remove_all(run / "plots");
  std::filesystem::remove(run / "report.html");
  const test::CommandResult r = test::run_cli("report '" + run.string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  check_report_files(run);

  const auto screenshot = dir / "report.png";
  const test::CommandResult page = test::run_command(
      "/usr/bin/python3 '" + (kSource / "tools" / "check_report_page.py").string() + "' '" +
      (run / "report.html").string() + "' --screenshot '" + screenshot.string() +
      "' --min-images " + std::to_string(std::size(kPlots) + kPredictionImages));
  INFO(page.output);
  REQUIRE(page.exit_code == 0);
  CHECK(std::filesystem::file_size(screenshot) > 10000);
}

TEST_CASE("e2e: without matplotlib, training succeeds and report exits 2 with the install hint",
          "[e2e][report]") {
  const auto shared = test::require_shared();
  const ScopedEnv no_python("EMNIST_PYTHON", "/bin/false");
  test::TempDir dir;
  const auto run = dir / "run";
  const test::CommandResult t = train_smoke(shared, run);
  INFO(t.output);
  REQUIRE(t.exit_code == 0);
  CHECK(t.output.find("plots skipped") != std::string::npos);
  CHECK(t.output.find("apt-get install python3-matplotlib") != std::string::npos);
  CHECK(std::filesystem::is_regular_file(run / "model.safetensors"));
  CHECK(std::filesystem::is_regular_file(run / "summary.json"));
  CHECK_FALSE(std::filesystem::exists(run / "report.html"));

  const test::CommandResult r = test::run_cli("report '" + run.string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(line_count(r.output) == 1);
  CHECK(r.output.find("apt-get install python3-matplotlib") != std::string::npos);
  CHECK(r.output.find("EMNIST_PYTHON") != std::string::npos);
}

TEST_CASE("e2e: report on a folder that is not a run directory is a one-line user error",
          "[e2e][report]") {
  test::TempDir dir;
  const test::CommandResult r = test::run_cli("report '" + dir.path().string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(line_count(r.output) == 1);
  CHECK(r.output.find("config.toml") != std::string::npos);
}

TEST_CASE(
    "e2e: report with a damaged summary.json is a one-line user error that leaves the plots and "
    "page as they were",
    "[e2e][report]") {
  need_matplotlib();
  test::TempDir dir;
  const auto run = dir / "run";
  REQUIRE(train_smoke(test::require_shared(), run).exit_code == 0);  // with its plots and page
  const std::string page = test::read_text(run / "report.html");
  const std::string loss = test::read_text(run / "plots" / "loss.png");
  // summary.json as damaged, and what the one line says.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "expected a JSON object, got list"},
      {"{\"metrics\": 5}", "'metrics' is not an object"},
      {"{\"metrics\": {\"test\": {\"accuracy\": \"high\"}}}", "'metrics.test.accuracy' is not"},
      {"{\"parameters\": \"many\"}", "'parameters' is not a number"},
  };
  for (const auto& [json, message] : cases) {
    test::write_file(run / "summary.json", json);
    const test::CommandResult r = test::run_cli("report '" + run.string() + "'");
    INFO(json << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK(line_count(r.output) == 1);
    CHECK(r.output.find((run / "summary.json").string() + ": " + message) != std::string::npos);
    CHECK(r.output.find("Traceback") == std::string::npos);
    CHECK(test::read_text(run / "report.html") == page);
    CHECK(test::read_text(run / "plots" / "loss.png") == loss);
  }
}
