#pragma once
// Shared pieces of the whole-model CUDA tests: the model configurations, synthetic images, and one
// model with its step runner on a given backend.
#include <cstdint>
#include <memory>
#include <vector>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/model.hpp"
#include "support/synthetic_data.hpp"
#include "train/step_runner.hpp"

namespace emnist::cuda_test {

// DESIGN.md's reference MLP: 784 -> 512 -> 256 -> 128 -> classes, batch norm, ReLU, dropout 0.2.
ModelConfig reference_mlp();
// conv [8, 8, pool, 16, pool], head [32]: batch norm, ELU, dropout 0.3 in the head.
ModelConfig small_cnn();
// stem 8, stages [8, 16] of one block (strides 1, 2: a projection shortcut), leaky ReLU, dropout
// 0.2 after the pooling.
ModelConfig small_resnet();

// Learnable synthetic images (tests/support).
using test::synthetic_images;

// One model and its runner on one backend, with the batch (x in [0, 1), labels) uploaded.
struct ModelRun {
  std::unique_ptr<Model> model;
  std::unique_ptr<StepRunner> runner;

  ModelRun(Backend& backend, const ModelConfig& mc, const TrainConfig& tc, int classes,
           int64_t batch, const std::vector<float>& x, const std::vector<int32_t>& y);
  std::vector<float> logits(int64_t batch) const;
  std::vector<float> grads() const;
  std::vector<float> params() const;
  // CHECKs the runner's graph counts: no failed capture, and these many captures and replays.
  void check_graphs(int64_t captures, int64_t replays) const;
};

}  // namespace emnist::cuda_test
