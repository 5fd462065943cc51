#pragma once
// The exponential moving average of a model's parameters and running statistics (train.ema), kept
// as PyTorch's AveragedModel(get_ema_multi_avg_fn(decay), use_buffers=True) keeps it: it starts as
// the model's values and moves towards them after every optimizer step, one pass over each flat
// span, its decay warmed up over the first steps (math::ema_decay). Evaluation, model.safetensors
// and the checkpoint use it (see the trainer).
#include "emnist/arena.hpp"
#include "emnist/model.hpp"

namespace emnist {

class WeightAverage {
 public:
  // decay 0: off (no memory; every call does nothing). Otherwise a copy of the model's values now.
  WeightAverage(Model& model, float decay);

  bool on() const { return decay_ > 0.0f; }
  float decay() const { return decay_; }
  // One step of the average towards the model's values, its decay warmed up by the optimizer step
  // in `scalars` (math::ema_decay; read in backend memory, so a captured training step includes
  // it and each replay uses its own step).
  void update(const StepScalars* scalars);
  // Exchanges the model's values and the average, in backend memory; a second call undoes it.
  void swap();

 private:
  Model& model_;
  float decay_;
  DeviceBuffer memory_;  // average params | average buffers | scratch for swap()
  float* params_ = nullptr;
  float* buffers_ = nullptr;
  float* scratch_ = nullptr;
};

// The average in the model for as long as it lives (an evaluation), then the trained values back.
// Nothing when the average is off.
class AverageInModel {
 public:
  explicit AverageInModel(WeightAverage& average) : average_(average) { average_.swap(); }
  ~AverageInModel() { average_.swap(); }
  AverageInModel(const AverageInModel&) = delete;
  AverageInModel& operator=(const AverageInModel&) = delete;

 private:
  WeightAverage& average_;
};

}  // namespace emnist
