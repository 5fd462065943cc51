#pragma once
// `emnist study`: the MLP vs CNN study end to end. Both sweeps (configs/sweep-mlp.toml and
// configs/sweep-cnn.toml, each trial cross-validated on the training data only), then each best
// configuration trained on the whole training split and evaluated once on the test split, then the
// comparison of the two. Every step resumes: sweeps skip finished trials, finished final runs are
// kept.
//
// Output directory: sweep-mlp/, sweep-cnn/, final-mlp/, final-cnn/, compare/, study.md, study.log.
#include <filesystem>
#include <string>
#include <vector>

namespace emnist {

struct StudyOptions {
  std::filesystem::path out;      // empty: runs/study
  std::string data, device;       // data.dir and train.device, for sweeps and final runs
  std::vector<std::string> sets;  // section.key=value, both models
  std::vector<std::string> mlp_sets, cnn_sets;  // after `sets`, one model only
  int folds = 0;                                // 0: the sweep files'
  std::filesystem::path sweep_mlp, sweep_cnn;   // empty: configs/sweep-{mlp,cnn}.toml
};

// Returns the comparison's Markdown.
std::string run_study(const StudyOptions& options);

}  // namespace emnist
