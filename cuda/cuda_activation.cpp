// Activations and inverted dropout: elementwise kernels over the shared formulas of
// element_math.hpp, after the checks every backend shares (emnist/op_checks.hpp).
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {
void CudaBackend::activation_forward(Activation a, Tensor x, Tensor y) {
  const char* op = "activation_forward";
  const OpRange range{op};
  checks::activation_forward(Device::cuda, a, x, y);
  kernels::activation_forward(a, x.data, y.data, x.numel(), stream_.get());
}

void CudaBackend::activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) {
  const char* op = "activation_backward";
  const OpRange range{op};
  checks::activation_backward(Device::cuda, a, y, dy, dx);
  kernels::activation_backward(a, y.data, dy.data, dx.data, y.numel(), stream_.get());
}

// Forward and backward are the same mask applied to different tensors (element_math.hpp).
void CudaBackend::dropout(const char* op, Tensor in, Tensor out, float p, uint64_t seed,
                          uint32_t layer, const StepScalars* scalars) {
  const OpRange range{op};
  checks::dropout(Device::cuda, op, in, out, p, scalars);
  kernels::dropout(in.data, out.data, in.numel(), p, seed, layer, scalars, stream_.get());
}

void CudaBackend::dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                                  const StepScalars* scalars) {
  dropout("dropout_forward", x, y, p, seed, layer, scalars);
}

void CudaBackend::dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                                   const StepScalars* scalars) {
  dropout("dropout_backward", dy, dx, p, seed, layer, scalars);
}

}  // namespace emnist::cuda
