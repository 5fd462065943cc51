#pragma once
// What resuming a run needs, in one file written atomically: run_dir/checkpoint/state.safetensors.
// Tensors: the model's state dict under "model.<name>", the optimizer state under
// "optimizer.state1" and "optimizer.state2", and with train.ema the weight average's state dict
// under "ema.<name>". Metadata (strings): the configuration that ran, the
// position, the running totals of the epoch in flight and the finished epochs' records.
//
// The random state needs no tensor of its own: shuffling is a pure function of (seed, epoch) and
// dropout of (seed, optimizer step, element), so the position is the random state.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "emnist/metrics.hpp"
#include "emnist/safetensors.hpp"

namespace emnist {

class Model;
class Optimizer;
class WeightAverage;

struct Checkpoint {
  std::string config;  // to_toml of the configuration that ran
  // config.toml as this session of the run found it, before its --set changes (empty in
  // checkpoints from before this field): a kill between the checkpoint's rename and config.toml's
  // leaves that text on disk, which is then not an edit.
  std::string config_before;
  // What the run trained on (data_fingerprint in trainer.hpp; empty in older checkpoints).
  std::string data;
  int epoch = 0;     // epochs finished
  int64_t step = 0;  // steps of the next epoch already taken (0: at an epoch boundary)
  int64_t steps_per_epoch = 0;
  int64_t optimizer_steps = 0;
  double train_seconds = 0;  // time spent in training steps so far
  // step > 0: the running totals of the epoch in flight; step == 0: the last finished epoch's.
  Totals totals;
  std::vector<EpochRecord> history;
  TensorMap model;
  HostTensor state1, state2;
  TensorMap average;  // train.ema's weight average (empty when off)
};

std::filesystem::path checkpoint_file(const std::filesystem::path& run_dir);

// Atomically; `midway` as write_file_atomic takes it.
void write_checkpoint(const std::filesystem::path& run_dir, const Checkpoint& checkpoint,
                      const std::function<void()>& midway = {});
// UserError naming the file when it is missing, not safetensors, truncated or not a checkpoint.
Checkpoint read_checkpoint(const std::filesystem::path& run_dir);

// The model's state dict, the optimizer's two state buffers and the weight average's state dict
// (when on), copied from the backend into the checkpoint, and back; restore_state's UserErrors
// name `source` and what does not fit.
void capture_state(Checkpoint& checkpoint, Model& model, const Optimizer& optimizer,
                   WeightAverage& average);
void restore_state(const Checkpoint& checkpoint, Model& model, const Optimizer& optimizer,
                   WeightAverage& average, const std::string& source);

}  // namespace emnist
