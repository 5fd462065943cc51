#pragma once
// The activations' shared formulas (element_math.hpp) as device functors, one type per kind so
// that a kernel taking one is compiled for that kind alone, and the dispatch from an Activation
// value to them. Identity stands for "no activation" in kernels that fuse one (batch norm).
#include <stdexcept>
#include <type_traits>

#include "emnist/backend.hpp"
#include "emnist/element_math.hpp"

namespace emnist::cuda::kernels {

struct Identity {
  __device__ float operator()(float x) const { return x; }
};
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

// The gradient at the activation's input from its output y and the gradient dy at its output.
struct IdentityGrad {
  __device__ float operator()(float /*y*/, float dy) const { return dy; }
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

// The gradient at element i: read y only where the activation needs it (Identity never does, and
// its y may be null).
template <class Grad>
__device__ __forceinline__ float grad_at(Grad grad, const float* y, const float* dy, int64_t i) {
  if constexpr (std::is_same_v<Grad, IdentityGrad>)
    return dy[i];
  else
    return grad(y[i], dy[i]);
}

// f(forward functor, gradient functor) for activation a, or for Identity where a is null.
template <class F>
void with_activation(const Activation* a, F f) {
  if (a == nullptr) return f(Identity{}, IdentityGrad{});
  switch (a->kind) {
    case ActivationKind::relu:
      return f(Relu{}, ReluGrad{});
    case ActivationKind::leaky_relu:
      return f(LeakyRelu{a->leaky_slope}, LeakyReluGrad{a->leaky_slope});
    case ActivationKind::elu:
      return f(Elu{a->elu_alpha}, EluGrad{a->elu_alpha});
  }
  // Unreachable through the op checks; a kind cast from a bad value launches nothing silently.
  throw std::logic_error("with_activation: an activation kind this backend does not know");
}

}  // namespace emnist::cuda::kernels
