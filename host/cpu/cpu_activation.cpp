// Elementwise activations through the shared formulas of element_math.hpp. Each element is read
// before it is written, so y may alias x (and dx may alias dy).
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

template <class F>
void map(const float* in, float* out, int64_t n, F f) {
  parallel_ranges(n, n, [=](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = f(in[i]);
  });
}

template <class F>
void map2(const float* a, const float* b, float* out, int64_t n, F f) {
  parallel_ranges(n, n, [=](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = f(a[i], b[i]);
  });
}

}  // namespace

void CpuBackend::activation_forward(Activation a, Tensor x, Tensor y) {
  checks::activation_forward(Device::cpu, a, x, y);
  const int64_t n = x.numel();
  switch (a.kind) {
    case ActivationKind::relu:
      map(x.data, y.data, n, [](float v) { return math::relu(v); });
      return;
    case ActivationKind::leaky_relu: {
      const float slope = a.leaky_slope;
      map(x.data, y.data, n, [slope](float v) { return math::leaky_relu(v, slope); });
      return;
    }
    case ActivationKind::elu: {
      const float alpha = a.elu_alpha;
      map(x.data, y.data, n, [alpha](float v) { return math::elu(v, alpha); });
      return;
    }
  }
}

void CpuBackend::activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) {
  checks::activation_backward(Device::cpu, a, y, dy, dx);
  const int64_t n = y.numel();
  switch (a.kind) {
    case ActivationKind::relu:
      map2(y.data, dy.data, dx.data, n, [](float v, float g) { return math::relu_grad(v, g); });
      return;
    case ActivationKind::leaky_relu: {
      const float slope = a.leaky_slope;
      map2(y.data, dy.data, dx.data, n,
           [slope](float v, float g) { return math::leaky_relu_grad(v, g, slope); });
      return;
    }
    case ActivationKind::elu: {
      const float alpha = a.elu_alpha;
      map2(y.data, dy.data, dx.data, n,
           [alpha](float v, float g) { return math::elu_grad(v, g, alpha); });
      return;
    }
  }
}

}  // namespace emnist::cpu
