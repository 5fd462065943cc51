#pragma once
// What training and `eval` both write for an evaluated split: confusion_, report_ and
// predictions_<split>.csv, from the same code so that the two give identical files.
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/trainer.hpp"
#include "train/evaluate.hpp"

namespace emnist {

SplitMetrics split_metrics(const Totals& totals, const ClassificationReport& report);

// Returns the report it wrote.
ClassificationReport write_split_files(const std::filesystem::path& run_dir,
                                       const std::string& split, const EvalResult& result,
                                       const std::vector<std::string>& class_names);

}  // namespace emnist
