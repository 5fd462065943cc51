// Backend::fill: every element set to one value (zero() is a cudaMemsetAsync and needs no kernel).
#include "cuda_check.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void fill_kernel(float* data, int64_t n, float value) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) data[i] = value;
}

}  // namespace

void fill(float* data, int64_t n, float value, cudaStream_t stream) {
  if (n <= 0) return;
  fill_kernel<<<grid_for(n), kBlock, 0, stream>>>(data, n, value);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
