// Activations through the shared formulas of element_math.hpp, one thread per element
// (grid-stride). Each element is read before it is written by the same thread, so y may alias x and
// dx may alias dy.
#include "cuda_check.hpp"
#include "kernels/activation_functors.cuh"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

template <class F>
__global__ void map_kernel(const float* x, float* y, int64_t n, F f) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) y[i] = f(x[i]);
}

template <class F>
__global__ void map2_kernel(const float* a, const float* b, float* out, int64_t n, F f) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) out[i] = f(a[i], b[i]);
}

}  // namespace

void activation_forward(Activation a, const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  with_activation(&a, [&](auto activate, auto /*grad*/) {
    map_kernel<<<grid_for(n), kBlock, 0, stream>>>(x, y, n, activate);
  });
  EMNIST_LAUNCH_CHECK();
}

void activation_backward(Activation a, const float* y, const float* dy, float* dx, int64_t n,
                         cudaStream_t stream) {
  if (n <= 0) return;
  with_activation(&a, [&](auto /*activate*/, auto grad) {
    map2_kernel<<<grid_for(n), kBlock, 0, stream>>>(y, dy, dx, n, grad);
  });
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
