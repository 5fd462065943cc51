#pragma once
// Per-channel work over a [N, C, S] layout (S = H*W for images, 1 for [N, C]). A block walks its
// share of a channel's N*S elements (one chunk of it: channel_chunks.hpp),
// each thread summing its elements in double in a fixed order, then the block combines the threads'
// sums in a fixed tree. No atomics, so the result is the same bits on every run.
#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "kernels/channel_chunks.hpp"

namespace emnist::cuda::kernels {

struct DoublePair {
  double a, b;
};

struct AddPair {
  __device__ DoublePair operator()(const DoublePair& x, const DoublePair& y) const {
    return DoublePair{x.a + y.a, x.b + y.b};
  }
};

// Launched with kChannelThreads threads a block.
using ChannelReduce = cub::BlockReduce<DoublePair, kChannelThreads>;
using ChannelReduce1 = cub::BlockReduce<double, kChannelThreads>;

}  // namespace emnist::cuda::kernels
