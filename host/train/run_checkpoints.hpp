#pragma once
// A run's checkpoint policy: the checkpoint each epoch and at an interruption (when the run can be
// resumed from; a sweep's folds cannot), the last good position, and how a run that stops early
// says so: a divergence or an interruption, each naming the checkpoint to continue from.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "emnist/checkpoint.hpp"
#include "emnist/config.hpp"
#include "emnist/model.hpp"
#include "train/optimizer.hpp"
#include "train/weight_average.hpp"

namespace emnist {

// `epoch` epochs and `step` steps of the next one done: "the end of epoch 2", "step 7 of 18 in
// epoch 3".
std::string position_text(int epoch, int64_t step, int64_t steps_per_epoch);

class RunCheckpoints {
 public:
  // config_before: config.toml as the run (or this resumed session of it) found it.
  RunCheckpoints(const Config& config, std::filesystem::path run_dir, bool enabled,
                 int64_t steps_per_epoch, std::string config_before, std::string data);

  bool enabled() const { return enabled_; }
  // Where a resumed run starts: its checkpoint is the last good one.
  void resumed_at(int epoch, int64_t step);
  const std::optional<std::string>& last_good() const { return last_good_; }

  // Writes `c` (position, totals and history filled in) with the model's and the optimizer's
  // state, after checking the weights are finite (a finite loss does not prove finite weights);
  // then config.toml, if a resume's --set changed the configuration.
  void save(Checkpoint c, Model& model, const Optimizer& optimizer, WeightAverage& average);
  // config.toml as the configuration now running (after a resume's --set changes).
  void sync_config_file() const;

  // UserError: training diverged (`what`), with the checkpoint to continue from at a lower rate.
  [[noreturn]] void diverged(const std::string& what) const;
  // Interrupted by the pending signal at (epoch, step), the checkpoint just written named.
  [[noreturn]] void interrupted(int epoch, int64_t step) const;

 private:
  const Config& config_;
  std::filesystem::path run_dir_;
  bool enabled_;
  int64_t steps_per_epoch_;
  std::optional<std::string> last_good_;
  std::string config_before_;
  std::string data_;
};

}  // namespace emnist
