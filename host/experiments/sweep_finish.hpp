#pragma once
// The end of a sweep or a merge: sweep.json, the table and best.toml from whatever results the
// directory holds, and the plots (skipped, and said so, without matplotlib).
#include <filesystem>

#include "emnist/sweep_run.hpp"
#include "experiments/sweep_record.hpp"

namespace emnist::sweep {

// Fills report.best_key and report.best_accuracy. Without `plots`, quietly: what a sweep does
// after each trial, so that an interrupted sweep still has its table.
void finish_sweep(const std::filesystem::path& dir, const SweepRecord& record, SweepReport& report,
                  bool plots = true);

}  // namespace emnist::sweep
