#pragma once
// Per-channel work over a [N, C, S] layout (S = H*W for images, 1 for [N, C]): one block per
// channel walks that channel's N*S elements, each thread summing its share in double in a fixed
// order, then the block combines the partial sums in a fixed tree. No atomics, so the result is the
// same bits on every run, and the block can go on to write the channel's outputs with the totals
// in hand (one kernel, no scratch memory).
#include <cub/block/block_reduce.cuh>

#include <cstdint>

namespace emnist::cuda::kernels {

// Kernels built on ChannelReduce must be launched with exactly this many threads per block.
constexpr int kChannelThreads = 512;

struct ChannelLayout {
  int64_t n, c, s;

  __device__ int64_t count() const { return n * s; }
  // Where the i-th element (0 <= i < n*s) of `channel` lives: sample i / s, position i % s.
  __device__ int64_t offset(int64_t channel, int64_t i) const {
    const int64_t sample = i / s;
    return (sample * c + channel) * s + (i - sample * s);
  }
};

struct DoublePair {
  double a, b;
};

struct AddPair {
  __device__ DoublePair operator()(const DoublePair& x, const DoublePair& y) const {
    return DoublePair{x.a + y.a, x.b + y.b};
  }
};

using ChannelReduce = cub::BlockReduce<DoublePair, kChannelThreads>;
using ChannelReduce1 = cub::BlockReduce<double, kChannelThreads>;

}  // namespace emnist::cuda::kernels
