#pragma once
// `emnist compare`: finished runs side by side, from their run directories alone (summary.json,
// report_test.csv, confusion_test.csv, metrics.csv).
//
// Writes into `out`: comparison.md (what stdout shows too), comparison.csv (one row per run:
// test accuracy, macro and weighted precision / recall / F1, parameters, training time,
// samples/s), per_class_f1.csv (one row per class, one column per run) and, when matplotlib is
// there, comparison.png (validation accuracy per epoch and per-class F1 of every run).
#include <filesystem>
#include <string>
#include <vector>

namespace emnist {

// Returns comparison.md's text. UserError naming the file when a run directory lacks what a
// comparison needs (a run without a test split has no report_test.csv).
std::string compare_runs(const std::vector<std::filesystem::path>& runs,
                         const std::filesystem::path& out);

}  // namespace emnist
