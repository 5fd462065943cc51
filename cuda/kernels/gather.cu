// Backend::gather_batch: a batch gathered from a split kept on the device (the resident feeder),
// one thread per pixel; the formula is math::pixel_value, shared with the CPU.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void gather_kernel(const uint8_t* images, const int32_t* labels, int64_t count,
                              const int64_t* rows, int64_t n, int64_t pixels, float* x,
                              int32_t* y) {
  for (int64_t i = global_thread(); i < n * pixels; i += grid_stride()) {
    const int64_t b = i / pixels, p = i - b * pixels;
    const int64_t row = rows[b];
    if (row < 0 || row >= count) continue;
    x[i] = math::pixel_value(images[row * pixels + p]);
    if (p == 0) y[b] = labels[row];
  }
}

}  // namespace

void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count, const int64_t* rows,
                  int64_t n, int64_t pixels, float* x, int32_t* y, cudaStream_t stream) {
  if (n <= 0 || pixels <= 0) return;
  gather_kernel<<<grid_for(n * pixels), kBlock, 0, stream>>>(images, labels, count, rows, n, pixels,
                                                             x, y);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
