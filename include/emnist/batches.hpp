#pragma once
// Batches on the host (the CPU feeder): the epoch's sample order, and gathering uint8 images of a
// subset into the model's float input, x = pixel / 255, with int32 labels.
#include <cstdint>
#include <vector>

#include "emnist/data.hpp"
#include "emnist/model.hpp"

namespace emnist {

// Positions 0..count-1 (into a Subset's indices) stably sorted by math::shuffle_key(seed, epoch,
// position); epoch counts from 0. The same permutation on every device.
std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t count);

class BatchFeeder {
 public:
  // Staging for up to max_batch images of image_size pixels, allocated once.
  BatchFeeder(int64_t max_batch, int64_t image_size);

  // The samples at subset positions `positions[0..n)`, into model.input(n) and model.labels().
  void load(Model& model, const Subset& subset, const int64_t* positions, int64_t n);
  // The samples at subset positions first..first+n-1, in order (evaluation).
  void load_range(Model& model, const Subset& subset, int64_t first, int64_t n);

  // The labels of the last loaded batch, on the host.
  const std::vector<int32_t>& labels() const { return labels_; }

 private:
  template <typename PositionAt>
  void gather(Model& model, const Subset& subset, int64_t n, PositionAt position_at);

  int64_t max_batch_, image_size_;
  std::vector<float> pixels_;
  std::vector<int32_t> labels_;
};

}  // namespace emnist
