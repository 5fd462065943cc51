#pragma once
// Launch geometry shared by the elementwise kernels: grid-stride loops over 64-bit element counts,
// with the grid capped so a huge tensor needs no huge grid (each thread then takes several
// elements).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace emnist::cuda::kernels {

constexpr int kBlock = 256;
// Enough blocks to fill any current GPU several times over.
constexpr int64_t kMaxBlocks = int64_t{1} << 16;

inline unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, kMaxBlocks));
}

__device__ __forceinline__ int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ int64_t grid_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

}  // namespace emnist::cuda::kernels
