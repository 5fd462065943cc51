#include "train/run_checkpoints.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <csignal>

#include "emnist/error.hpp"
#include "emnist/interrupt.hpp"
#include "emnist/run_dir.hpp"
#include "text_file.hpp"
#include "train/fault_injection.hpp"

namespace emnist {
namespace {

const char* signal_name(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

bool all_finite(const std::vector<float>& values) {
  for (float v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

std::string position_text(int epoch, int64_t step, int64_t steps_per_epoch) {
  return step == 0 ? fmt::format("the end of epoch {}", epoch)
                   : fmt::format("step {} of {} in epoch {}", step, steps_per_epoch, epoch + 1);
}

RunCheckpoints::RunCheckpoints(const Config& config, std::filesystem::path run_dir, bool enabled,
                               int64_t steps_per_epoch, std::string config_before, std::string data)
    : config_(config),
      run_dir_(std::move(run_dir)),
      enabled_(enabled),
      steps_per_epoch_(steps_per_epoch),
      config_before_(std::move(config_before)),
      data_(std::move(data)) {}

void RunCheckpoints::sync_config_file() const {
  const std::string now = to_toml(config_);
  const std::filesystem::path file = RunFiles(run_dir_).config();
  if (read_text(file) != now) write_file_atomic(file, now);
}

void RunCheckpoints::resumed_at(int epoch, int64_t step) {
  last_good_ = position_text(epoch, step, steps_per_epoch_);
}

void RunCheckpoints::save(Checkpoint c, Model& model, const Optimizer& optimizer,
                          WeightAverage& average) {
  c.config = to_toml(config_);
  c.config_before = config_before_;
  c.data = data_;
  c.steps_per_epoch = steps_per_epoch_;
  capture_state(c, model, optimizer, average);
  for (const auto& [name, t] : c.model)
    if (!all_finite(t.values))
      diverged(fmt::format("'{}' holds NaN or infinite values at {}", name,
                           position_text(c.epoch, c.step, steps_per_epoch_)));
  write_checkpoint(run_dir_, c, checkpoint_write_fault());
  sync_config_file();  // after the checkpoint: config.toml never runs ahead of it
  last_good_ = position_text(c.epoch, c.step, steps_per_epoch_);
  spdlog::debug("checkpoint written ({})", *last_good_);
}

void RunCheckpoints::diverged(const std::string& what) const {
  const double lr = config_.train.lr;
  if (!enabled_ || !last_good_)
    throw UserError(fmt::format("training diverged: {}; lower train.lr (now {}){}", what, lr,
                                config_.model.batch_norm ? "" : " or turn on model.batch_norm"));
  throw UserError(fmt::format(
      "training diverged: {}; the last good checkpoint is {} ({}): continue from it with a "
      "lower rate, e.g. emnist train --resume {} --set train.lr={}",
      what, checkpoint_file(run_dir_).string(), *last_good_, run_dir_.string(), lr / 2));
}

void RunCheckpoints::interrupted(int epoch, int64_t step) const {
  const int signal = InterruptGuard::pending();
  throw Interrupted(signal,
                    fmt::format("interrupted by {} at {}; checkpoint {} written; "
                                "continue with: emnist train --resume {}",
                                signal_name(signal), position_text(epoch, step, steps_per_epoch_),
                                checkpoint_file(run_dir_).string(), run_dir_.string()));
}

}  // namespace emnist
