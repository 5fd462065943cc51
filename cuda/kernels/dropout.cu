// Inverted dropout. The mask is never stored: math::dropout_keep(seed, layer, step, element) is a
// pure function, so forward, backward and the CPU backend all draw the same mask. The step is read
// from the device-side StepScalars, so a captured graph replays with each step's own mask.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void dropout_kernel(const float* in, float* out, int64_t n, float p, float scale,
                               uint64_t seed, uint32_t layer, const StepScalars* scalars) {
  const uint64_t key = math::dropout_key(seed, layer, static_cast<uint64_t>(scalars->step));
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    out[i] = in[i] * math::dropout_factor(key, static_cast<uint64_t>(i), p, scale);
  }
}

}  // namespace

void dropout(const float* in, float* out, int64_t n, float p, uint64_t seed, uint32_t layer,
             const StepScalars* scalars, cudaStream_t stream) {
  if (n <= 0) return;
  const float scale = 1.0f / (1.0f - p);  // on the host, as the CPU backend computes it
  dropout_kernel<<<grid_for(n), kBlock, 0, stream>>>(in, out, n, p, scale, seed, layer, scalars);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
