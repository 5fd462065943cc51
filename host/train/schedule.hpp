#pragma once
// The learning rate for every step, a pure function of the configuration and the position, so that
// resuming or replaying a run gives the same rates.
//
// Warm-up: over the first train.warmup_epochs epochs the rate rises linearly per step,
// lr * (s + 1) / warmup_steps for global step s. After it, the schedule runs over the remaining
// epochs, counting e = epoch - warmup_epochs from 0 and E = epochs - warmup_epochs:
//   constant  lr
//   step      lr * gamma^floor(e / step_size)
//   cosine    min_lr + (lr - min_lr) * (1 + cos(pi * e / E)) / 2   (per epoch, as PyTorch's
//             CosineAnnealingLR with T_max = E stepped once per epoch)
#include <cstdint>

#include "emnist/config.hpp"

namespace emnist {

class LrSchedule {
 public:
  LrSchedule(const TrainConfig& config, int64_t steps_per_epoch);
  // epoch counts from 0; step is the step within that epoch.
  double lr(int epoch, int64_t step) const;

 private:
  TrainConfig config_;
  int64_t steps_per_epoch_;
};

}  // namespace emnist
