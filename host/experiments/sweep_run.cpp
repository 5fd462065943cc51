// run_sweep: plans the trials, skips those already finished, runs the rest one by one (each a
// k-fold cross-validation), and keeps the table current after every trial.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/sweep_run.hpp"
#include "experiments/cross_validate.hpp"
#include "experiments/cv_pool.hpp"
#include "experiments/sweep_finish.hpp"
#include "experiments/sweep_record.hpp"
#include "experiments/trial_store.hpp"
#include "text_file.hpp"

namespace emnist {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const SweepSpec& spec, const std::vector<AxisValue>& choice) {
  std::string out;
  for (size_t a = 0; a < choice.size(); ++a)
    out += (a ? ", " : "") + spec.axes[a].name + " = " + choice[a].label;
  return out;
}

const char* axis_kind(const Axis& axis) {
  if (axis.bundle) return "bundle";
  if (axis.range) return axis.log ? "log-range" : "range";
  return "list";
}

class SweepRunner {
 public:
  SweepRunner(const SweepSpec& spec, std::filesystem::path dir)
      : spec_(spec), dir_(std::move(dir)), start_(Clock::now()) {
    record_.name = spec.name;
    record_.source = spec.source;
    record_.description = spec.description;
    record_.mode = mode_name(spec.mode);
    record_.folds = spec.folds;
    for (const Axis& axis : spec.axes) {
      record_.axes.push_back(axis.name);
      record_.axis_kinds.emplace_back(axis_kind(axis));
    }
    if (!spec.overrides.empty()) {
      std::string line = "command-line overrides (before the axes):";
      for (const auto& o : spec.overrides) line += " `" + o + "`";
      record_.notes.push_back(line);
    }
    report_.dir = dir_;
  }

  sweep::SweepRecord& record() { return record_; }
  SweepReport& report() { return report_; }

  // Adds a trial to the plan (once per key) and returns its index.
  int plan(const TrialPlan& trial) {
    for (const auto& t : record_.trials)
      if (t.key == trial.key) return t.index;
    const int index = static_cast<int>(record_.trials.size());
    std::vector<std::string> labels;
    for (const auto& v : trial.choice) labels.push_back(v.label);
    record_.trials.push_back({index, trial.key, labels});
    ++report_.planned;
    return index;
  }

  // The data of a trial, loaded once per distinct [data] section.
  const sweep::CvPool& pool(const Config& config) {
    Config data_only;
    data_only.data = config.data;
    const std::string key = to_toml(data_only);
    auto it = pools_.find(key);
    if (it == pools_.end()) {
      auto pool = std::make_unique<sweep::CvPool>(sweep::load_cv_pool(config.data));
      spdlog::info("{}", pool->note);
      record_.notes.push_back(pool->note);
      it = pools_.emplace(key, std::move(pool)).first;
    }
    return *it->second;
  }

  // The result of `trial`: stored, freshly run, or nothing (the budget ran out).
  std::optional<TrialResult> result(const TrialPlan& trial) {
    const int index = plan(trial);
    // one_at_a_time meets the incumbent again in every stage: it is one trial, counted once.
    if (const auto it = seen_.find(trial.key); it != seen_.end()) return it->second;
    if (auto stored = sweep::read_result(dir_, trial.key)) {
      ++report_.skipped;
      note_done(*stored);
      seen_.emplace(trial.key, *stored);
      return stored;
    }
    if (budget_spent()) {
      ++report_.not_started;
      seen_.emplace(trial.key, std::nullopt);
      return std::nullopt;
    }
    const sweep::CvPool& data = pool(trial.config);
    const SweepFiles files(dir_);
    const auto tdir = files.trial(trial.key);
    std::filesystem::create_directories(tdir);
    write_file_atomic(files.trial_config(trial.key), to_toml(trial.config));
    spdlog::info("trial {} ({}): {}", index, trial.key, describe(spec_, trial.choice));
    const double prune_below = spec_.prune_margin >= 0 && std::isfinite(best_mean_)
                                   ? best_mean_ - spec_.prune_margin
                                   : -std::numeric_limits<double>::infinity();
    TrialResult r = sweep::cross_validate(trial, spec_.folds, data, tdir, prune_below);
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t a = 0; a < spec_.axes.size(); ++a)
      values.emplace_back(spec_.axes[a].name, trial.choice[a].label);
    sweep::write_result(dir_, r, values);
    ++report_.ran;
    if (r.status == "pruned") ++report_.pruned;
    if (r.status == "failed") ++report_.failed;
    spdlog::info("trial {} {}: validation accuracy {:.4f} +- {:.4f} over {} folds, {:.1f} s", index,
                 r.status, r.mean_accuracy(), r.std_accuracy(), r.folds.size(), r.seconds);
    note_done(r);
    seen_.emplace(trial.key, r);
    sweep::finish_sweep(dir_, record_, report_, false);
    return r;
  }

  // Checks before any trial runs: the data loads and every fold holds a batch.
  void check(const std::vector<TrialPlan>& trials) {
    for (const auto& t : trials) sweep::check_fold_size(t, spec_.folds, pool(t.config));
  }

  void finish() {
    if (report_.skipped > 0)
      spdlog::info("resumed: skipped {} finished trial{} (results in {})", report_.skipped,
                   report_.skipped == 1 ? "" : "s", SweepFiles(dir_).trials().string());
    // Counts of this invocation go to the log only: a resumed sweep that has nothing left to do
    // must leave trials.md as it was.
    spdlog::info("this run: {} trials ran, {} skipped (finished earlier), {} pruned, {} failed",
                 report_.ran, report_.skipped, report_.pruned, report_.failed);
    if (report_.pruned > 0)
      spdlog::info("{} trial{} stopped early (pruned after fold 1; see trials.md)", report_.pruned,
                   report_.pruned == 1 ? "" : "s");
    if (report_.not_started > 0) {
      const std::string line = fmt::format(
          "budget_minutes = {} reached: {} trial{} not started (run the sweep again to go on)",
          spec_.budget_minutes, report_.not_started, report_.not_started == 1 ? "" : "s");
      spdlog::warn("{}", line);
      record_.notes.push_back(line);
    }
    sweep::finish_sweep(dir_, record_, report_, true);
  }

 private:
  bool budget_spent() {
    if (spec_.budget_minutes <= 0) return false;
    const double minutes = std::chrono::duration<double>(Clock::now() - start_).count() / 60;
    if (minutes < spec_.budget_minutes) return false;
    if (!budget_said_) {
      spdlog::warn("budget_minutes = {} reached after {:.1f} minutes: no new trial starts",
                   spec_.budget_minutes, minutes);
      budget_said_ = true;
    }
    return true;
  }

  void note_done(const TrialResult& r) {
    if (r.status == "done" && (!std::isfinite(best_mean_) || r.mean_accuracy() > best_mean_))
      best_mean_ = r.mean_accuracy();
  }

  const SweepSpec& spec_;
  std::filesystem::path dir_;
  Clock::time_point start_;
  sweep::SweepRecord record_;
  SweepReport report_;
  std::map<std::string, std::unique_ptr<sweep::CvPool>> pools_;
  std::map<std::string, std::optional<TrialResult>> seen_;
  double best_mean_ = std::numeric_limits<double>::quiet_NaN();
  bool budget_said_ = false;
};

bool better(const TrialResult& a, const TrialResult& b) {
  if (a.mean_accuracy() != b.mean_accuracy()) return a.mean_accuracy() > b.mean_accuracy();
  return a.mean_loss() < b.mean_loss();
}

void run_one_at_a_time(const SweepSpec& spec, SweepRunner& runner) {
  std::vector<AxisValue> incumbent = base_choice(spec);
  runner.check({make_trial(spec, incumbent)});
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const auto stage = expand_axis(spec, incumbent, a);
    runner.check(stage);
    const TrialPlan* winner = nullptr;
    std::optional<TrialResult> winning;
    for (const auto& trial : stage) {
      auto r = runner.result(trial);
      if (r && r->status == "done" && (!winning || better(*r, *winning))) {
        winner = &trial;
        winning = std::move(r);
      }
    }
    std::string line;
    if (winner != nullptr) {
      incumbent[a] = winner->choice[a];
      line = fmt::format("axis {}: {} wins ({:.4f}); kept for the axes after it", spec.axes[a].name,
                         incumbent[a].label, winning->mean_accuracy());
    } else {
      line = fmt::format("axis {}: no trial finished; keeps {}", spec.axes[a].name,
                         incumbent[a].label);
    }
    spdlog::info("{}", line);
    runner.record().notes.push_back(line);
  }
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      size_t used_i = 0, used_n = 0;
      const int i = std::stoi(text.substr(0, slash), &used_i);
      const int n = std::stoi(text.substr(slash + 1), &used_n);
      if (used_i == slash && used_n == text.size() - slash - 1 && n >= 1 && i >= 0 && i < n)
        return {i, n};
    }
  } catch (const std::exception&) {
  }
  throw UserError("--shard " + text +
                  ": expected i/N with 0 <= i < N, e.g. --shard 0/4 (Slurm: "
                  "--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
}

std::filesystem::path sweep_directory(const SweepSpec& spec, const SweepRunOptions& options) {
  if (!options.out.empty()) return options.out;
  return std::filesystem::path("runs") / ("sweep-" + (spec.name.empty() ? "sweep" : spec.name));
}

void check_sweep_out(const SweepSpec& spec, const std::filesystem::path& dir) {
  const DirectoryKind kind = directory_kind(dir);
  if (kind == DirectoryKind::absent_or_empty) return;
  if (kind != DirectoryKind::sweep)
    throw UserError("--out " + dir.string() + ": holds " + describe(kind) +
                    ", not a sweep; choose another --out");
  std::error_code ec;
  const auto spec_file = SweepFiles(dir).spec();
  if (std::filesystem::exists(spec_file, ec) && read_text(spec_file) != spec.text)
    throw UserError("--out " + dir.string() + ": holds another sweep (its " +
                    spec_file.filename().string() +
                    " differs from this sweep file); a sweep resumes only in its own directory: "
                    "choose another --out");
}

void check_sweep_options(const SweepSpec& spec, const SweepRunOptions& options) {
  if (options.shard_count > 1 && spec.mode == SweepMode::one_at_a_time)
    throw UserError(spec.source +
                    ": mode = \"one_at_a_time\" cannot be sharded: each axis's trials start from "
                    "the previous axis's winner; run it whole, or use mode = \"grid\" or "
                    "\"random\" with --shard");
}

SweepReport run_sweep(const SweepSpec& spec, const SweepRunOptions& options) {
  check_sweep_options(spec, options);
  const auto dir = sweep_directory(spec, options);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UserError(dir.string() + ": cannot create the sweep directory: " + ec.message());
  write_file_atomic(SweepFiles(dir).spec(), spec.text);

  SweepRunner runner(spec, dir);
  if (options.shard_count > 1)
    runner.record().shard = fmt::format("{}/{}", options.shard_index, options.shard_count);
  spdlog::info("sweep {}: mode {}, {}-fold cross-validation per trial, into {}", spec.name,
               mode_name(spec.mode), spec.folds, dir.string());
  if (spec.mode == SweepMode::one_at_a_time) {
    run_one_at_a_time(spec, runner);
  } else {
    const auto trials = spec.mode == SweepMode::grid ? expand_grid(spec) : expand_random(spec);
    std::vector<TrialPlan> mine;
    for (size_t i = 0; i < trials.size(); ++i) {
      runner.plan(trials[i]);
      if (static_cast<int>(i) % options.shard_count == options.shard_index)
        mine.push_back(trials[i]);
    }
    if (options.shard_count > 1)
      spdlog::info("shard {}/{}: {} of the {} trials", options.shard_index, options.shard_count,
                   mine.size(), trials.size());
    runner.check(mine);
    for (const auto& trial : mine) runner.result(trial);
  }
  runner.finish();
  return runner.report();
}

}  // namespace emnist
