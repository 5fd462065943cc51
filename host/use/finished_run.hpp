#pragma once
// What predict, serve and export read of a finished run directory, with one set of messages.
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/config.hpp"
#include "emnist/safetensors.hpp"

namespace emnist {

struct FinishedRun {
  Config config;                         // config.toml, validated
  std::vector<std::string> class_names;  // run_class_names
  TensorMap weights;                     // model.safetensors
};

// UserError naming what is missing: the directory, its config.toml, or its model.safetensors (a run
// that has not finished).
FinishedRun read_finished_run(const std::filesystem::path& run_dir);

}  // namespace emnist
