// Activations and inverted dropout: elementwise kernels over the shared formulas of
// element_math.hpp, with the CPU backend's argument checks.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {
namespace {

void check_activation(Activation a, const char* op) {
  require(a.kind == ActivationKind::relu || a.kind == ActivationKind::leaky_relu ||
              a.kind == ActivationKind::elu,
          op, "unknown activation kind");
}

void check_dropout(const char* op, const Tensor& in, const Tensor& out, float p,
                   const StepScalars* scalars) {
  require_tensor(in, -1, op, "input");
  require_tensor(out, -1, op, "output");
  require(in.numel() == out.numel(), op, "input and output differ in size");
  require(scalars != nullptr, op, "scalars is null");
  require(p >= 0.0f && p < 1.0f, op, "p must be in [0, 1)");
}

}  // namespace

void CudaBackend::activation_forward(Activation a, Tensor x, Tensor y) {
  const char* op = "activation_forward";
  const OpRange range{op};
  require_tensor(x, -1, op, "x");
  require_tensor(y, -1, op, "y");
  require(x.numel() == y.numel(), op, "x and y differ in size");
  check_activation(a, op);
  kernels::activation_forward(a, x.data, y.data, x.numel(), stream_.get());
}

void CudaBackend::activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) {
  const char* op = "activation_backward";
  const OpRange range{op};
  require_tensor(y, -1, op, "y");
  require_tensor(dy, -1, op, "dy");
  require_tensor(dx, -1, op, "dx");
  require(y.numel() == dy.numel() && y.numel() == dx.numel(), op, "y, dy and dx differ in size");
  check_activation(a, op);
  kernels::activation_backward(a, y.data, dy.data, dx.data, y.numel(), stream_.get());
}

void CudaBackend::dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                                  const StepScalars* scalars) {
  const char* op = "dropout_forward";
  const OpRange range{op};
  check_dropout(op, x, y, p, scalars);
  kernels::dropout(x.data, y.data, x.numel(), p, seed, layer, scalars, stream_.get());
}

void CudaBackend::dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                                   const StepScalars* scalars) {
  const char* op = "dropout_backward";
  const OpRange range{op};
  check_dropout(op, dy, dx, p, scalars);
  kernels::dropout(dy.data, dx.data, dy.numel(), p, seed, layer, scalars, stream_.get());
}

}  // namespace emnist::cuda
