// Global average pooling. Forward: one thread per plane sums it in row-major order, as the CPU
// backend does, so both give the same bits (planes are small: 7x7 or 14x14 after a network's
// stages). Backward: one thread per input element.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void forward_kernel(const float* x, float* y, int64_t planes, int64_t count) {
  for (int64_t plane = global_thread(); plane < planes; plane += grid_stride()) {
    const float* src = x + plane * count;
    float sum = 0.0f;
    for (int64_t i = 0; i < count; ++i) sum += src[i];
    y[plane] = math::spatial_mean(sum, count);
  }
}

__global__ void backward_kernel(const float* dy, float* dx, int64_t total, int64_t count) {
  for (int64_t i = global_thread(); i < total; i += grid_stride())
    dx[i] = math::spatial_mean_grad(dy[i / count], count);
}

}  // namespace

void global_avgpool_forward(const float* x, float* y, int64_t planes, int64_t count,
                            cudaStream_t stream) {
  if (planes <= 0) return;
  forward_kernel<<<grid_for(planes), kBlock, 0, stream>>>(x, y, planes, count);
  EMNIST_LAUNCH_CHECK();
}

void global_avgpool_backward(const float* dy, float* dx, int64_t planes, int64_t count,
                             cudaStream_t stream) {
  const int64_t total = planes * count;
  if (total <= 0) return;
  backward_kernel<<<grid_for(total), kBlock, 0, stream>>>(dy, dx, total, count);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
