#pragma once
// How per-channel work over a [N, C, S] layout is cut among blocks (kernels.hpp, ChannelSplit):
// a channel's N*S elements in `per_channel` chunks of `chunk` consecutive elements (the last may be
// shorter, or empty), one block each: block b works on channel b / per_channel, chunk
// b % per_channel. Host and device code both, so that a test can walk the blocks without a GPU.
// Indices are 32-bit (the backend checks N*S < 2^31): a 64-bit division per element would cost
// more than the memory traffic it serves.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/kernels.hpp"

namespace emnist::cuda::kernels {

// Kernels over ChannelChunks (ChannelReduce in channel_reduce.cuh) run this many threads a block,
// and channel_split sizes their grids for this many resident blocks a multiprocessor (2,048
// threads: a Hopper or Ampere A100 multiprocessor's whole). Their launch bounds hold them to the
// registers that needs (32 a thread), so a change to a kernel cannot quietly leave a tail wave.
constexpr int kChannelThreads = 512;
constexpr int kChannelBlocksPerMultiprocessor = 4;

struct ChannelChunks {
  int64_t c;
  uint32_t s, count, per_channel, chunk;

  __host__ __device__ uint32_t channel(uint32_t block) const { return block / per_channel; }
  // Whether block is its channel's first: the one (any one would do) that writes per-channel
  // results.
  __host__ __device__ bool first(uint32_t block) const { return block % per_channel == 0; }
  __host__ __device__ uint32_t begin(uint32_t block) const { return block % per_channel * chunk; }
  __host__ __device__ uint32_t end(uint32_t block) const {
    const uint32_t e = begin(block) + chunk;
    return e < count ? e : count;
  }
  // Where element i (0 <= i < count) of channel ch lives: sample i / s, position i % s.
  __host__ __device__ int64_t offset(uint32_t ch, uint32_t i) const {
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

}  // namespace emnist::cuda::kernels
