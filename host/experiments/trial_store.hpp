#pragma once
// Where a sweep keeps a trial: trials/<key>/ with config.toml and result.json. result.json is
// written atomically once the trial ends, so its presence is what "finished" means on resuming.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emnist/sweep_run.hpp"

namespace emnist::sweep {

// The stored result, or nothing when the trial has not finished (or its file is unreadable, in
// which case it runs again).
std::optional<TrialResult> read_result(const std::filesystem::path& sweep_dir,
                                       const std::string& key);

// `values`: axis name and label, for people reading the file.
void write_result(const std::filesystem::path& sweep_dir, const TrialResult& result,
                  const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace emnist::sweep
