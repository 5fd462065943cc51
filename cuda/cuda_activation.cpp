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

void CudaBackend::dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                                  const StepScalars* scalars) {
  const char* op = "dropout_forward";
  const OpRange range{op};
  checks::dropout(Device::cuda, op, x, y, p, scalars);
  kernels::dropout(x.data, y.data, x.numel(), p, seed, layer, scalars, stream_.get());
}

void CudaBackend::dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                                   const StepScalars* scalars) {
  const char* op = "dropout_backward";
  const OpRange range{op};
  checks::dropout(Device::cuda, op, dy, dx, p, scalars);
  kernels::dropout(dy.data, dx.data, dy.numel(), p, seed, layer, scalars, stream_.get());
}

}  // namespace emnist::cuda
