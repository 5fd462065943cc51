#pragma once
// `emnist study`: the MLP vs CNN study end to end, with the ResNet as a third model when asked.
// Each model's sweep (configs/sweep-mlp.toml, configs/sweep-cnn.toml, configs/sweep-resnet.toml,
// each trial cross-validated on the training data only), then each best configuration trained on
// the whole training split and evaluated once on the test split, then their comparison. Every step
// resumes: sweeps skip finished trials, finished final runs are kept.
//
// Output directory: sweep-<model>/, final-<model>/ for mlp, cnn (and resnet), compare/, study.md,
// study.log.
#include <filesystem>
#include <string>
#include <vector>

namespace emnist {

struct StudyOptions {
  std::filesystem::path out;      // empty: runs/study
  std::string data, device;       // data.dir and train.device, for sweeps and final runs
  std::vector<std::string> sets;  // section.key=value, both models
  std::vector<std::string> mlp_sets, cnn_sets, resnet_sets;  // after `sets`, one model only
  int folds = 0;                                             // 0: the sweep files'
  bool resnet = false;  // the ResNet as a third model (implied by sweep_resnet)
  // empty: configs/sweep-{mlp,cnn,resnet}.toml
  std::filesystem::path sweep_mlp, sweep_cnn, sweep_resnet;
};

// Returns the comparison's Markdown.
std::string run_study(const StudyOptions& options);

}  // namespace emnist
