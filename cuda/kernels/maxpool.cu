// Max-pooling over 2x2 windows with stride 2 (a trailing odd row or column is dropped). Forward
// records the winner's index within its plane; windows do not overlap, so backward gives each input
// element the gradient of at most one output: one thread per input element, no atomics.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void forward_kernel(const float* x, float* y, int32_t* argmax, int64_t total, int64_t h,
                               int64_t w) {
  const int64_t ho = h / 2, wo = w / 2;
  for (int64_t o = global_thread(); o < total; o += grid_stride()) {
    const int64_t plane = o / (ho * wo);
    const int64_t within = o - plane * ho * wo;
    const int64_t oh = within / wo, ow = within - oh * wo;
    const float* top = x + plane * h * w + 2 * oh * w;
    const float* bottom = top + w;
    const int32_t left = static_cast<int32_t>(2 * oh * w + 2 * ow);
    const float values[4] = {top[2 * ow], top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]};
    const int32_t where[4] = {left, left + 1, left + static_cast<int32_t>(w),
                              left + static_cast<int32_t>(w) + 1};
    const math::WindowMax best = math::window_max(values, where);  // the CPU backend's winner
    y[o] = best.value;
    argmax[o] = best.at;
  }
}

__global__ void backward_kernel(const float* dy, const int32_t* argmax, float* dx, int64_t total,
                                int64_t h, int64_t w) {
  const int64_t ho = h / 2, wo = w / 2;
  for (int64_t i = global_thread(); i < total; i += grid_stride()) {
    const int64_t plane = i / (h * w);
    const int64_t within = i - plane * h * w;
    const int64_t r = within / w, col = within - r * w;
    float g = 0.0f;
    if (r / 2 < ho && col / 2 < wo) {
      const int64_t o = plane * ho * wo + (r / 2) * wo + col / 2;
      // 0 + dy as the CPU's zero-then-accumulate computes it (so -0 becomes +0 there too).
      if (argmax[o] == static_cast<int32_t>(within)) g = 0.0f + dy[o];
    }
    dx[i] = g;
  }
}

}  // namespace

void maxpool2x2_forward(const float* x, float* y, int32_t* argmax, int64_t planes, int64_t h,
                        int64_t w, cudaStream_t stream) {
  const int64_t total = planes * (h / 2) * (w / 2);
  if (total <= 0) return;
  forward_kernel<<<grid_for(total), kBlock, 0, stream>>>(x, y, argmax, total, h, w);
  EMNIST_LAUNCH_CHECK();
}

void maxpool2x2_backward(const float* dy, const int32_t* argmax, float* dx, int64_t planes,
                         int64_t h, int64_t w, cudaStream_t stream) {
  const int64_t total = planes * h * w;
  if (total <= 0) return;
  backward_kernel<<<grid_for(total), kBlock, 0, stream>>>(dy, argmax, dx, total, h, w);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
