#pragma once
// The epoch's sample order, shared by every feeder and by the CPU backend's epoch_rows (the CUDA
// backend sorts the same keys on the device: cuda/kernels/shuffle.cu).
#include <cstdint>
#include <vector>

namespace emnist {

// Positions 0..count-1 (into a Subset's indices) stably sorted by math::shuffle_key(seed, epoch,
// position); epoch counts from 0. The same permutation on every device.
std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t count);

}  // namespace emnist
