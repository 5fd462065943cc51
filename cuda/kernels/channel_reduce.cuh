#pragma once
// Per-channel work over a [N, C, S] layout (S = H*W for images, 1 for [N, C]). A block walks its
// share of a channel's N*S elements (the whole channel, or one chunk of it: ChannelChunks), each
// thread summing its elements in double in a fixed order, then the block combines the threads' sums
// in a fixed tree. No atomics, so the result is the same bits on every run.
#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "kernels/kernels.hpp"

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

// A channel's N*S elements cut into `per_channel` chunks of `chunk` consecutive elements (the last
// may be shorter), one block each: block b works on channel b / per_channel, chunk b % per_channel.
// Indices are 32-bit (the host checks N*S < 2^31): a 64-bit division per element would cost more
// than the memory traffic it serves.
struct ChannelChunks {
  int64_t c;
  uint32_t s, count, per_channel, chunk;

  __device__ uint32_t channel() const { return blockIdx.x / per_channel; }
  __device__ bool first() const { return blockIdx.x % per_channel == 0; }  // the channel's
  __device__ uint32_t begin() const { return blockIdx.x % per_channel * chunk; }
  __device__ uint32_t end() const { return min(count, begin() + chunk); }
  // Where element i (0 <= i < count) of channel ch lives: sample i / s, position i % s.
  __device__ int64_t offset(uint32_t ch, uint32_t i) const {
    const uint32_t sample = i / s;
    return (static_cast<int64_t>(sample) * c + ch) * s + (i - sample * s);
  }
};

inline ChannelChunks chunks_of(const ChannelSplit& split) {
  const int64_t count = split.n * split.s;
  return ChannelChunks{split.c, static_cast<uint32_t>(split.s), static_cast<uint32_t>(count),
                       static_cast<uint32_t>(split.chunks),
                       static_cast<uint32_t>((count + split.chunks - 1) / split.chunks)};
}

inline unsigned blocks_of(const ChannelSplit& split) {
  return static_cast<unsigned>(split.c * split.chunks);
}

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
