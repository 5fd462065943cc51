#pragma once
// The experiment subcommands of `emnist`: sweep, compare, study. Kept beside emnist.cpp so that
// main only registers and dispatches them.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct ExperimentCommands {
  CLI::App* sweep = nullptr;
  CLI::App* compare = nullptr;
  CLI::App* study = nullptr;

  std::string sweep_config, data, device, out, shard;
  std::vector<std::string> sets, merge;
  int folds = 0;

  std::vector<std::string> runs;

  std::vector<std::string> mlp_sets, cnn_sets, resnet_sets;
  bool resnet = false;
  std::string sweep_mlp, sweep_cnn, sweep_resnet;
};

// Registers the subcommands and their options on `app`. The result must outlive parsing.
void add_experiment_commands(CLI::App& app, ExperimentCommands& commands);

// Runs the experiment subcommand that was given, if one was; its exit code. Errors propagate
// (UserError: exit code 2, as main maps them).
std::optional<int> run_experiment_command(const ExperimentCommands& commands);
