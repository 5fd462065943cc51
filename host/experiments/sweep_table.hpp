#pragma once
// The sweep's table: trials.csv and trials.md, one row per trial with a result, best first, and
// best.toml, the winner's resolved configuration.
#include <filesystem>
#include <vector>

#include "emnist/sweep_run.hpp"
#include "experiments/sweep_record.hpp"

namespace emnist::sweep {

struct TableRow {
  PlannedTrial plan;
  TrialResult result;
};

// Every planned trial whose result.json is in `dir`, in plan order.
std::vector<TableRow> collect_rows(const std::filesystem::path& dir, const SweepRecord& record);

// Best first: finished trials by mean validation accuracy (ties: lower mean validation loss, then
// the earlier trial), then pruned trials likewise, then failed ones in trial order.
void sort_rows(std::vector<TableRow>& rows);

// Writes trials.csv, trials.md and best.toml (the first finished row's trials/<key>/config.toml;
// removed when no trial has finished) from rows sorted by sort_rows.
void write_tables(const std::filesystem::path& dir, const SweepRecord& record,
                  const std::vector<TableRow>& rows);

}  // namespace emnist::sweep
