#pragma once
// Run directories and atomic files: every file is written to a temporary name in the same directory
// and renamed into place, so a crash never leaves a half-written file under the final name.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emnist/choices.hpp"

namespace emnist {

// Writes `bytes` to `path` atomically (temporary file, fsync, rename). UserError naming the path
// when the directory cannot be written (missing, not a directory, disk full). `midway`, when given,
// runs once half the bytes are in the temporary file: the fault-injection tests kill the process
// there.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                       const std::function<void()>& midway = {});

// Removes what write_file_atomic leaves when its process dies before the rename (NAME.tmp-PID)
// from `dir`, for processes no longer alive; a live writer's file is left alone.
void remove_stale_temporaries(const std::filesystem::path& dir);

// Creates `dir` (and its parents) and proves it writable with a test file, so that a run fails
// before its work rather than after. UserError "<dir>: cannot create <what>: <why> (<advice>)".
void create_writable_dir(const std::filesystem::path& dir, const std::string& what,
                         const std::string& advice);

// A directory the engine writes, and the names of its files (below, one class per kind).
class DirectoryFiles {
 public:
  explicit DirectoryFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

 protected:
  std::filesystem::path dir_;
};

// The files of a run directory, named here and nowhere else in C++ (the README's "Run directory";
// share/emnist's plotting scripts read the same names).
class RunFiles : public DirectoryFiles {
 public:
  using DirectoryFiles::DirectoryFiles;

  std::filesystem::path config() const { return dir_ / "config.toml"; }
  std::filesystem::path log() const { return dir_ / "train.log"; }
  std::filesystem::path metrics() const { return dir_ / "metrics.csv"; }
  std::filesystem::path summary() const { return dir_ / "summary.json"; }
  std::filesystem::path model() const { return dir_ / "model.safetensors"; }
  // The model of the epoch with the best validation accuracy (the earliest of equals).
  std::filesystem::path model_best() const { return dir_ / "model_best.safetensors"; }
  std::filesystem::path checkpoint_dir() const { return dir_ / "checkpoint"; }
  std::filesystem::path checkpoint() const { return checkpoint_dir() / "state.safetensors"; }
  // split: train, val or test.
  std::filesystem::path confusion(const std::string& split) const {
    return dir_ / ("confusion_" + split + ".csv");
  }
  std::filesystem::path report(const std::string& split) const {
    return dir_ / ("report_" + split + ".csv");
  }
  std::filesystem::path predictions(const std::string& split) const {
    return dir_ / ("predictions_" + split + ".csv");
  }
  std::filesystem::path prediction_images(const std::string& split) const {
    return dir_ / ("predictions_" + split + ".idx");
  }
  std::filesystem::path sample_images() const { return dir_ / "samples_train.idx"; }
  std::filesystem::path sample_labels() const { return dir_ / "samples_train.csv"; }
  std::filesystem::path page() const { return dir_ / "report.html"; }
  std::filesystem::path plots() const { return dir_ / "plots"; }
  // Every file and folder a run writes (what `train --force` removes, and nothing else).
  std::vector<std::filesystem::path> all() const;
};

// The files of a sweep directory; each trial's folder holds its config.toml, result.json and one
// run directory per fold (without weights).
class SweepFiles : public DirectoryFiles {
 public:
  using DirectoryFiles::DirectoryFiles;

  std::filesystem::path spec() const { return dir_ / "sweep.toml"; }  // the sweep file as given
  std::filesystem::path plan() const { return dir_ / "sweep.json"; }
  std::filesystem::path log() const { return dir_ / "sweep.log"; }
  std::filesystem::path table_csv() const { return dir_ / "trials.csv"; }
  std::filesystem::path table_md() const { return dir_ / "trials.md"; }
  std::filesystem::path best() const { return dir_ / "best.toml"; }
  std::filesystem::path axes_plot() const { return dir_ / "plots" / "axes.png"; }
  std::filesystem::path trials() const { return dir_ / "trials"; }
  std::filesystem::path trial(const std::string& key) const { return trials() / key; }
  std::filesystem::path trial_config(const std::string& key) const {
    return trial(key) / "config.toml";
  }
  std::filesystem::path trial_result(const std::string& key) const {
    return trial(key) / kResultName;
  }
  static constexpr const char* kResultName = "result.json";
};

// The files of a comparison's directory (`emnist compare --out`).
class ComparisonFiles : public DirectoryFiles {
 public:
  using DirectoryFiles::DirectoryFiles;

  std::filesystem::path table_md() const { return dir_ / "comparison.md"; }
  std::filesystem::path table_csv() const { return dir_ / "comparison.csv"; }
  std::filesystem::path per_class_f1() const { return dir_ / "per_class_f1.csv"; }
  std::filesystem::path plot() const { return dir_ / "comparison.png"; }
};

// The files of a study's directory (`emnist study --out`): a sweep, a final run per model
// ("mlp", "cnn"), and their comparison.
class StudyFiles : public DirectoryFiles {
 public:
  using DirectoryFiles::DirectoryFiles;

  std::filesystem::path log() const { return dir_ / "study.log"; }
  std::filesystem::path report() const { return dir_ / "study.md"; }
  std::filesystem::path sweep(const std::string& model) const { return dir_ / ("sweep-" + model); }
  std::filesystem::path final_run(const std::string& model) const {
    return dir_ / ("final-" + model);
  }
  std::filesystem::path comparison() const { return dir_ / "compare"; }
};

// What a directory holds, told by the engine's own file names (a lock file does not count).
enum class DirectoryKind { absent_or_empty, run, interrupted_run, sweep, comparison, other };
inline constexpr ChoiceName<DirectoryKind> kDirectoryKinds[] = {
    {DirectoryKind::absent_or_empty, "nothing"},
    {DirectoryKind::run, "a run"},
    {DirectoryKind::interrupted_run, "an interrupted run"},
    {DirectoryKind::sweep, "a sweep"},
    {DirectoryKind::comparison, "a comparison"},
    {DirectoryKind::other, "other files"}};
constexpr const auto& choices_of(DirectoryKind) { return kDirectoryKinds; }
DirectoryKind directory_kind(const std::filesystem::path& dir);
// What it holds, for messages: "a run", "an interrupted run", ...
inline std::string describe(DirectoryKind kind) { return std::string(choice_name(kind)); }

// `train --out DIR` protects what is there: a directory holding a run (finished or interrupted) or
// other files is a UserError saying what it holds and the ways on (resume, another --out, --force)
// unless `replace`, which removes the previous run's files (RunFiles::all) and nothing else.
void prepare_run_out(const std::filesystem::path& dir, bool replace);

// An exclusive claim on a directory while this object lives: flock on DIR/.lock, which the kernel
// releases when the process ends (kill -9 included). A second emnist process that wants the same
// directory stops with a UserError naming it, `what` it is, and the holder's pid.
class DirectoryLock {
 public:
  DirectoryLock(const std::filesystem::path& dir, const std::string& what);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// runs/<config stem>-<YYYYmmdd-HHMMSS>[-N] under `runs_root`, or exactly `out` when given. Creates
// it (and checks it is writable) before any work starts.
std::filesystem::path create_run_dir(const std::filesystem::path& out,
                                     const std::filesystem::path& runs_root,
                                     const std::string& config_stem);

}  // namespace emnist
