#include "experiments.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "choice_option.hpp"
#include "emnist/compare.hpp"
#include "emnist/error.hpp"
#include "emnist/log_file.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/study.hpp"
#include "emnist/sweep.hpp"
#include "emnist/sweep_run.hpp"

namespace {

void add_common(CLI::App* cmd, ExperimentCommands& c) {
  cmd->add_option("--data", c.data, "Data directory (sets data.dir)");
  cmd->add_option("--device", c.device, "auto, cpu or cuda (sets train.device)")
      ->check(one_of<emnist::DeviceChoice>());
  cmd->add_option("--set", c.sets,
                  "section.key=value, applied to the base configuration before the axes");
  cmd->add_option("--folds", c.folds, "Cross-validation folds (default: the sweep file's)")
      ->check(CLI::Range(2, 100));
}

int run_sweep_command(const ExperimentCommands& c) {
  if (!c.merge.empty()) {
    if (!c.sweep_config.empty())
      throw emnist::UserError("sweep: give either --config FILE or --merge DIR..., not both");
    std::vector<std::filesystem::path> dirs(c.merge.begin(), c.merge.end());
    const auto report = emnist::merge_sweeps(dirs, c.out);
    return report.best_key ? 0 : 1;
  }
  if (c.sweep_config.empty())
    throw emnist::UserError(
        "sweep: give --config FILE (a sweep file, e.g. configs/sweep-smoke.toml) "
        "or --merge DIR...");
  emnist::SweepOverrides ov;
  ov.data_dir = c.data;
  ov.device = c.device;
  ov.sets = c.sets;
  ov.folds = c.folds;
  const emnist::SweepSpec spec = emnist::load_sweep(c.sweep_config, ov);
  emnist::SweepRunOptions options;
  options.out = c.out;
  if (!c.shard.empty())
    std::tie(options.shard_index, options.shard_count) = emnist::parse_shard(c.shard);
  emnist::check_sweep_options(spec, options);  // before a directory is made for the log
  const auto dir = emnist::sweep_directory(spec, options);
  emnist::check_sweep_out(spec, dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw emnist::UserError(dir.string() + ": cannot create the sweep directory: " + ec.message());
  const emnist::DirectoryLock lock(dir, "the sweep directory");
  emnist::ScopedLogFile log(emnist::SweepFiles(dir).log());
  emnist::run_sweep(spec, options);
  return 0;
}

}  // namespace

void add_experiment_commands(CLI::App& app, ExperimentCommands& c) {
  c.sweep = app.add_subcommand(
      "sweep", "Hyperparameter sweep: every trial cross-validated on the training data only");
  c.sweep->add_option("-c,--config", c.sweep_config,
                      "Sweep file (TOML), e.g. configs/sweep-mlp.toml");
  c.sweep->add_option("-o,--out", c.out,
                      "Sweep directory (default: runs/sweep-<name>; running again resumes it); "
                      "with --merge: where to join them (default: the first)");
  c.sweep->add_option("--shard", c.shard, "i/N: run trials i, i+N, ... only (0 <= i < N)");
  c.sweep->add_option("--merge", c.merge, "Join the sweep directories of shards")->expected(1, -1);
  add_common(c.sweep, c);

  c.compare = app.add_subcommand("compare", "Finished runs side by side (Markdown, CSV, figure)");
  c.compare->add_option("runs", c.runs, "Run directories")
      ->required()
      ->expected(1, -1)
      ->check(CLI::ExistingDirectory);
  c.compare->add_option("-o,--out", c.out, "Where to write them (default: runs/compare-<time>)");

  c.study = app.add_subcommand(
      "study",
      "The MLP vs CNN study (--resnet: and the ResNet): each model's sweep, each best "
      "configuration trained and tested, their comparison");
  c.study->add_option("-o,--out", c.out,
                      "Study directory (default: runs/study; running again resumes)");
  add_common(c.study, c);
  c.study->add_option("--set-mlp", c.mlp_sets, "section.key=value for the MLP only (after --set)");
  c.study->add_option("--set-cnn", c.cnn_sets, "section.key=value for the CNN only (after --set)");
  c.study->add_option("--sweep-mlp", c.sweep_mlp,
                      "MLP sweep file (default: configs/sweep-mlp.toml)");
  c.study->add_option("--sweep-cnn", c.sweep_cnn,
                      "CNN sweep file (default: configs/sweep-cnn.toml)");
  c.study->add_flag("--resnet", c.resnet, "Add the ResNet as a third model");
  c.study->add_option("--set-resnet", c.resnet_sets,
                      "section.key=value for the ResNet only (after --set)");
  c.study->add_option("--sweep-resnet", c.sweep_resnet,
                      "ResNet sweep file (implies --resnet; default: configs/sweep-resnet.toml)");
}

std::optional<int> run_experiment_command(const ExperimentCommands& c) {
  if (c.sweep != nullptr && *c.sweep) return run_sweep_command(c);
  if (c.compare != nullptr && *c.compare) {
    const auto out = emnist::create_run_dir(c.out, "runs", "compare");
    std::vector<std::filesystem::path> runs(c.runs.begin(), c.runs.end());
    std::cout << emnist::compare_runs(runs, out) << std::flush;
    return 0;
  }
  if (c.study != nullptr && *c.study) {
    emnist::StudyOptions o;
    o.out = c.out;
    o.data = c.data;
    o.device = c.device;
    o.sets = c.sets;
    o.mlp_sets = c.mlp_sets;
    o.cnn_sets = c.cnn_sets;
    o.folds = c.folds;
    o.sweep_mlp = c.sweep_mlp;
    o.sweep_cnn = c.sweep_cnn;
    o.resnet = c.resnet;
    o.resnet_sets = c.resnet_sets;
    o.sweep_resnet = c.sweep_resnet;
    std::cout << emnist::run_study(o) << std::flush;
    return 0;
  }
  return std::nullopt;
}
