// Backend::gather_batch: a batch gathered from a split kept on the device (the resident feeder),
// one thread per pixel; the formula is math::pixel_value, shared with the CPU.
#include <math_constants.h>

#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

// A row outside the split (rows live on the device: nothing checks them before the kernel) gives
// its sample NaN pixels and the label -1, which the loss turns into a NaN: the run stops at that
// step and names it, rather than training on the previous batch's sample.
__device__ __forceinline__ void poison(float* x, int32_t* y, int64_t i, int64_t b, int64_t p) {
  x[i] = CUDART_NAN_F;
  if (p == 0) y[b] = -1;
}

__global__ void gather_kernel(const uint8_t* images, const int32_t* labels, int64_t count,
                              const int64_t* rows, int64_t n, int64_t pixels, float* x,
                              int32_t* y) {
  for (int64_t i = global_thread(); i < n * pixels; i += grid_stride()) {
    const int64_t b = i / pixels, p = i - b * pixels;
    const int64_t row = rows[b];
    if (row < 0 || row >= count) {
      poison(x, y, i, b, p);
      continue;
    }
    x[i] = math::pixel_value(images[row * pixels + p]);
    if (p == 0) y[b] = labels[row];
  }
}

// Training batches through augmentation: each thread draws its sample's transform again (a few
// dozen hashes, cheap beside a launch) and samples its pixel through it.
__global__ void gather_augmented_kernel(const uint8_t* images, const int32_t* labels, int64_t count,
                                        const int64_t* rows, int64_t n, int64_t pixels, float* x,
                                        int32_t* y, math::AugmentSpec spec, int epoch,
                                        const int64_t* ids, int image_rows, int image_cols) {
  for (int64_t i = global_thread(); i < n * pixels; i += grid_stride()) {
    const int64_t b = i / pixels, p = i - b * pixels;
    const int64_t row = rows[b];
    if (row < 0 || row >= count) {
      poison(x, y, i, b, p);
      continue;
    }
    const math::AugmentDraw t = math::augment_draw(spec, epoch, static_cast<uint64_t>(ids[b]));
    const int py = static_cast<int>(p / image_cols), px = static_cast<int>(p % image_cols);
    x[i] = math::augment_pixel(images + row * pixels, image_rows, image_cols, spec, t, py, px);
    if (p == 0) y[b] = labels[row];
  }
}

}  // namespace

void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count, const int64_t* rows,
                  int64_t n, int64_t pixels, float* x, int32_t* y, const BatchAugment* augment,
                  cudaStream_t stream) {
  if (n <= 0 || pixels <= 0) return;
  if (augment != nullptr) {
    gather_augmented_kernel<<<grid_for(n * pixels), kBlock, 0, stream>>>(
        images, labels, count, rows, n, pixels, x, y, augment->spec, augment->epoch, augment->ids,
        augment->rows, augment->cols);
  } else {
    gather_kernel<<<grid_for(n * pixels), kBlock, 0, stream>>>(images, labels, count, rows, n,
                                                               pixels, x, y);
  }
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
