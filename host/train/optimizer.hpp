#pragma once
// One optimizer pass over the flat parameter buffer, with its state in two buffers of the same
// layout (zero at the start).
//
// Regularisation acts on the weight prefix only (Linear and Conv2d weights; not biases, nor batch
// norm's scale and shift):
// - train.weight_decay goes through OptimizerParams: coupled L2 (g += wd * w) for sgd, adam and
//   rmsprop, decoupled (w *= 1 - lr * wd) for adamw. The optimizer runs over the weight prefix with
//   that decay and over the rest without it.
// - train.l1 > 0 adds l1 * sign(w) to the weight gradients through Backend::regularize (its l2
//   argument stays 0, since L2 is weight decay above). The reported loss is the data loss alone.
#include <cstdint>

#include "emnist/arena.hpp"
#include "emnist/backend.hpp"
#include "emnist/config.hpp"

namespace emnist {

class Optimizer {
 public:
  Optimizer(Backend& backend, const TrainConfig& config, int64_t param_count, int64_t weight_count);

  // grads hold this step's gradients; scalars (backend memory) the learning rate and step count.
  void step(Tensor params, Tensor grads, const StepScalars* scalars);
  const OptimizerParams& params() const { return params_; }
  Tensor state1() const;
  Tensor state2() const;

 private:
  Backend& backend_;
  OptimizerParams params_;
  float l1_;
  int64_t param_count_, weight_count_;
  DeviceBuffer memory_;
  float* state1_ = nullptr;
  float* state2_ = nullptr;
  float* penalty_ = nullptr;
};

}  // namespace emnist
