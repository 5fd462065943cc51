#pragma once
// sweep.json: what a sweep planned (its mode, axes and every trial with its key and values) and
// what happened (notes), so that tables, merges and plots need nothing but the directory.
#include <filesystem>
#include <string>
#include <vector>

namespace emnist::sweep {

struct PlannedTrial {
  int index = 0;  // in the order of expansion (one_at_a_time: of discovery)
  std::string key;
  std::vector<std::string> labels;  // one per axis
};

struct SweepRecord {
  std::string name, source, mode, description;
  int folds = 0;
  std::vector<std::string> axes;
  std::vector<std::string> axis_kinds;  // list, bundle, range, log-range
  std::vector<PlannedTrial> trials;
  std::string shard;  // "i/N", or empty
  std::vector<std::string> notes;
};

void write_record(const std::filesystem::path& dir, const SweepRecord& record);
// UserError naming the directory when it is not a sweep directory.
SweepRecord read_record(const std::filesystem::path& dir);

}  // namespace emnist::sweep
