// Activations through the shared formulas of element_math.hpp, one thread per element
// (grid-stride). Each element is read before it is written by the same thread, so y may alias x and
// dx may alias dy.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
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

struct Relu {
  __device__ float operator()(float x) const { return math::relu(x); }
};
struct LeakyRelu {
  float slope;
  __device__ float operator()(float x) const { return math::leaky_relu(x, slope); }
};
struct Elu {
  float alpha;
  __device__ float operator()(float x) const { return math::elu(x, alpha); }
};
struct ReluGrad {
  __device__ float operator()(float y, float dy) const { return math::relu_grad(y, dy); }
};
struct LeakyReluGrad {
  float slope;
  __device__ float operator()(float y, float dy) const {
    return math::leaky_relu_grad(y, dy, slope);
  }
};
struct EluGrad {
  float alpha;
  __device__ float operator()(float y, float dy) const { return math::elu_grad(y, dy, alpha); }
};

}  // namespace

void activation_forward(Activation a, const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  switch (a.kind) {
    case ActivationKind::relu:
      map_kernel<<<grid_for(n), kBlock, 0, stream>>>(x, y, n, Relu{});
      break;
    case ActivationKind::leaky_relu:
      map_kernel<<<grid_for(n), kBlock, 0, stream>>>(x, y, n, LeakyRelu{a.leaky_slope});
      break;
    case ActivationKind::elu:
      map_kernel<<<grid_for(n), kBlock, 0, stream>>>(x, y, n, Elu{a.elu_alpha});
      break;
  }
  EMNIST_LAUNCH_CHECK();
}

void activation_backward(Activation a, const float* y, const float* dy, float* dx, int64_t n,
                         cudaStream_t stream) {
  if (n <= 0) return;
  switch (a.kind) {
    case ActivationKind::relu:
      map2_kernel<<<grid_for(n), kBlock, 0, stream>>>(y, dy, dx, n, ReluGrad{});
      break;
    case ActivationKind::leaky_relu:
      map2_kernel<<<grid_for(n), kBlock, 0, stream>>>(y, dy, dx, n, LeakyReluGrad{a.leaky_slope});
      break;
    case ActivationKind::elu:
      map2_kernel<<<grid_for(n), kBlock, 0, stream>>>(y, dy, dx, n, EluGrad{a.elu_alpha});
      break;
  }
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
