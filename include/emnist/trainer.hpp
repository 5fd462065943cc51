#pragma once
// The entry points behind `emnist train`, `emnist eval`: a whole run from a configuration to a
// filled run directory (DESIGN.md "Run directory"), and the re-evaluation of a finished run.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/checkpoint.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/metrics.hpp"

namespace emnist {

struct SplitMetrics {
  int64_t samples = 0;  // 0: the split is empty, the other fields NaN
  double loss = std::numeric_limits<double>::quiet_NaN();
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  double macro_f1 = std::numeric_limits<double>::quiet_NaN();
  // The mean of the classes' recalls (scikit-learn's balanced_accuracy_score): what accuracy is
  // when every class counts the same, whatever its share of the split.
  double balanced_accuracy = std::numeric_limits<double>::quiet_NaN();
};

struct TrainSummary {
  std::filesystem::path run_dir;
  std::string dataset, device;
  int classes = 0;
  std::vector<std::string> class_names;  // in class order, as the dataset names them
  int64_t parameters = 0;
  int epochs = 0;
  double training_seconds = 0;    // the whole epoch loop, validation included
  double samples_per_second = 0;  // training samples over the time spent in training steps
  // train: the last epoch's running figures (train mode, dropout on); val: after the last epoch;
  // test: the final model, evaluated once at the end.
  SplitMetrics train, val, test;
  std::vector<EpochRecord> history;
  // The epoch with the best validation accuracy (the earliest of equals), whose model is
  // model_best.safetensors; 0 without a validation split.
  int best_epoch = 0;
};

struct EvalSummary {
  std::string split;
  SplitMetrics metrics;
  ClassificationReport report;
};

// Loads the data (load_dataset, make_splits), builds and trains the model, evaluates it, and writes
// config.toml (unless the caller already has), metrics.csv,
// confusion_/report_/predictions_<split>.csv for val and test, model.safetensors and summary.json
// into run_dir (which must exist). A checkpoint goes to run_dir/checkpoint after every epoch and
// on SIGINT or SIGTERM (then Interrupted is thrown, see interrupt.hpp); a NaN or infinite loss or
// weight stops the run with a UserError starting "training diverged" that names the epoch, the
// step and the last good checkpoint.
TrainSummary train_run(const Config& config, Backend& backend,
                       const std::filesystem::path& run_dir);
// The same on a dataset already loaded (load_dataset(config.data) must give the same one for a
// later eval_run to reproduce the splits).
TrainSummary train_run(const Config& config, const Dataset& data, Backend& backend,
                       const std::filesystem::path& run_dir);
// The same on explicit splits into `data` (a cross-validation fold: train on k - 1 parts, validate
// on the last, no test). Nothing reproduces such splits from config.toml, so `eval` cannot, and
// no checkpoints are written.
TrainSummary train_run(const Config& config, const Dataset& data, const Splits& splits,
                       Backend& backend, const std::filesystem::path& run_dir);

// Continuing an interrupted run from run_dir/checkpoint (see checkpoint.hpp). prepare_resume
// reads the checkpoint and run_dir/config.toml, which must be the configuration the checkpoint ran
// with, and applies `sets`: only keys that leave what was computed so far unchanged may be set
// (data.dir, train.device, train.epochs, train.lr, train.log_every); config.toml is rewritten when
// they change it. resume_run then finishes the run as train_run would have; on the CPU (and on the
// GPU in deterministic mode) the model is bit for bit the one an uninterrupted run gives.
// The data a run trains on, as a short text (image counts and a CRC-32 of every image and label):
// a checkpoint keeps it, so that a resume on other data of the same size is refused.
std::string data_fingerprint(const Dataset& data);

struct Resume {
  Config config;  // the checkpoint's configuration, with this session's --set changes
  Checkpoint checkpoint;
  std::string config_file;  // config.toml as found (normalised), for the next checkpoint
};
Resume prepare_resume(const std::filesystem::path& run_dir, const std::vector<std::string>& sets);
TrainSummary resume_run(const Resume& resume, Backend& backend,
                        const std::filesystem::path& run_dir);

// scikit-learn's "balanced" class weights over a split (train.class_weights = "balanced"):
// n / (classes * count of the class); a class the split lacks gets 0 (no row asks for it).
std::vector<float> balanced_class_weights(const Subset& split, int classes);

// Reads run_dir/config.toml and run_dir/model.safetensors, rebuilds the splits exactly as training
// did, evaluates `split` (train, val or test) and writes its confusion, report and predictions
// files. On the same backend it reproduces training's final test figures bit for bit. A non-empty
// `data_dir` reads the data from there instead of the data.dir config.toml names (the data moved).
// EvalWeights::best evaluates model_best.safetensors instead (the epoch with the best validation
// accuracy) and writes its files as those of split "<split>_best", beside the last model's.
enum class EvalWeights { last, best };
EvalSummary eval_run(const std::filesystem::path& run_dir, const std::string& split,
                     Backend& backend, const std::filesystem::path& data_dir = {},
                     EvalWeights weights = EvalWeights::last);

// An ensemble of trained runs: each run's model (as eval_run loads it) gives its probabilities on
// `split`, the ensemble predicts their mean. The runs must split the same data the same way
// (UserError naming the first that does not). Writes the split's confusion, report and predictions
// files and ensemble.json (members, metrics) into out_dir, which must exist.
EvalSummary eval_ensemble(const std::vector<std::filesystem::path>& run_dirs,
                          const std::string& split, Backend& backend,
                          const std::filesystem::path& out_dir,
                          const std::filesystem::path& data_dir = {},
                          EvalWeights weights = EvalWeights::last);

}  // namespace emnist
