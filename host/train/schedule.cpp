#include "train/schedule.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "emnist/error.hpp"

namespace emnist {

LrSchedule::LrSchedule(const TrainConfig& config, int64_t steps_per_epoch)
    : config_(config), steps_per_epoch_(steps_per_epoch) {
  if (steps_per_epoch < 1) throw std::invalid_argument("schedule: steps_per_epoch must be >= 1");
}

double LrSchedule::lr(int epoch, int64_t step) const {
  const double base = config_.lr;
  const int64_t warmup_steps = int64_t{config_.warmup_epochs} * steps_per_epoch_;
  const int64_t global = int64_t{epoch} * steps_per_epoch_ + step;
  if (global < warmup_steps)
    return base * static_cast<double>(global + 1) / static_cast<double>(warmup_steps);

  const int e = epoch - config_.warmup_epochs;
  const int total = config_.epochs - config_.warmup_epochs;
  if (config_.schedule == ScheduleKind::step) {
    const int step_size = config_.step_size > 0 ? config_.step_size : 1;
    return base * std::pow(config_.gamma, e / step_size);
  }
  if (config_.schedule == ScheduleKind::cosine && total > 0) {
    return config_.min_lr +
           (base - config_.min_lr) * (1.0 + std::cos(std::numbers::pi * e / total)) / 2.0;
  }
  return base;
}

}  // namespace emnist
