#pragma once
// Running a sweep (`emnist sweep`): every trial is scored by stratified k-fold cross-validation on
// the training data only; the sweep directory collects one result per trial and a table of them.
//
// Sweep directory:
//   sweep.toml             the sweep file as given
//   sweep.json             what was planned: mode, axes, every trial (index, key, values), notes
//   trials/<key>/config.toml, result.json (written atomically when the trial ends)
//   trials/<key>/fold<i>/  each fold's run files (metrics.csv, report_val.csv, predictions_val.csv,
//                          summary.json; no weights: a sweep chooses configurations, not models)
//   trials.csv, trials.md  one row per trial, best first
//   best.toml              the best trial's resolved configuration, for `emnist train`
//   plots/axes.png         validation accuracy per value of each axis (when matplotlib is there)
//   sweep.log
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emnist/sweep.hpp"

namespace emnist {

struct FoldResult {
  int fold = 0;  // from 1
  double val_accuracy = 0, val_loss = 0, train_accuracy = 0, train_loss = 0;
  double seconds = 0;
  // NaN in trials stored before these were kept.
  double val_balanced_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_macro_f1 = std::numeric_limits<double>::quiet_NaN();
};

struct TrialResult {
  std::string key;
  std::string status = "done";  // done; pruned (stopped after its first fold); failed (diverged)
  std::string note;             // why it was pruned or failed
  int folds_planned = 0;
  int epochs = 0;  // per fold
  double seconds = 0;
  std::vector<FoldResult> folds;

  // Over the folds that ran; the standard deviation is the sample one (n - 1), NaN for one fold.
  double mean_accuracy() const;
  double std_accuracy() const;
  double mean_loss() const;
  double mean_balanced_accuracy() const;
  double mean_macro_f1() const;
  double std_loss() const;
};

struct SweepRunOptions {
  std::filesystem::path out;  // empty: runs/sweep-<name>
  int shard_index = 0, shard_count = 1;
};

struct SweepReport {
  std::filesystem::path dir;
  int planned = 0, ran = 0, skipped = 0, pruned = 0, failed = 0, not_started = 0;
  std::optional<std::string> best_key;
  double best_accuracy = std::numeric_limits<double>::quiet_NaN();
};

// "i/N", 0 <= i < N: this shard runs trials i, i + N, i + 2N, ... (UserError otherwise).
std::pair<int, int> parse_shard(const std::string& text);

// UserError when the options do not fit the sweep (a one_at_a_time sweep cannot be sharded).
void check_sweep_options(const SweepSpec& spec, const SweepRunOptions& options);

// options.out, else runs/sweep-<name>: the same each time, so running a sweep again resumes it.
std::filesystem::path sweep_directory(const SweepSpec& spec, const SweepRunOptions& options);
// A sweep runs (and resumes) only in a new or empty directory or its own: a directory that holds a
// run, a comparison, other files, or another sweep (another sweep file) is a UserError naming it.
void check_sweep_out(const SweepSpec& spec, const std::filesystem::path& dir);

// Runs (or resumes) a sweep into its directory and writes the table, best.toml and plots.
SweepReport run_sweep(const SweepSpec& spec, const SweepRunOptions& options);

// Joins the results of shards of one sweep into `out` (empty: the first directory) and writes the
// table, best.toml and plots there.
SweepReport merge_sweeps(const std::vector<std::filesystem::path>& dirs,
                         const std::filesystem::path& out);

}  // namespace emnist
