#pragma once
// The epoch's sample order, shared by every feeder and by the CPU backend's epoch_rows (the CUDA
// backend sorts the same keys on the device: cuda/kernels/shuffle.cu).
#include <cstdint>
#include <vector>

namespace emnist {

// Positions 0..count-1 (into a Subset's indices) stably sorted by math::shuffle_key(seed, epoch,
// position); epoch counts from 0. The same permutation on every device.
std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t count);

// train.sampling = "balanced": count draws of positions 0..count-1 with replacement, draw i a class
// picked uniformly among those in `labels` (the label at each position), then one of that class's
// positions uniformly, both from math::random_bits(seed, kStreamBalance ^ (epoch << 8), ...). Every
// class is drawn about count / classes times an epoch, whatever its size.
std::vector<int64_t> balanced_draws(uint64_t seed, int epoch, const std::vector<int32_t>& labels);

}  // namespace emnist
