#pragma once
// summary.json: what a run was and what it reached, for people and for tools that compare runs.
#include <string>

#include "emnist/config.hpp"
#include "emnist/trainer.hpp"

namespace emnist {

std::string summary_json(const TrainSummary& summary, const Config& config);

// `git rev-parse HEAD` in the source tree the engine was built from, or "unknown".
std::string source_commit();

}  // namespace emnist
