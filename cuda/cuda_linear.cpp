// Fully connected layer: y = x w^T + b, each product one cuBLASLt call in the CPU backend's
// row-major form (transposes folded into the call, not copied); the forward bias rides in the
// GEMM's epilogue, the bias gradient is a fixed-order column sum.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) {
  const char* op = "linear_forward";
  const OpRange range{op};
  const auto [batch, in, out] = checks::linear_forward(Device::cuda, x, w, b, y);
  // y [B, O] = x [B, I] w^T [I, O] (+ b on every row)
  gemm_->run(false, true, batch, out, in, x.data, in, w.data, in, y.data, out,
             b.empty() ? nullptr : b.data);
}

void CudaBackend::linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
  const char* op = "linear_backward";
  const OpRange range{op};
  const auto [batch, in, out] = checks::linear_backward(Device::cuda, x, w, dy, dx, dw, db);

  // dx [B, I] = dy [B, O] w [O, I]
  if (!dx.empty())
    gemm_->run(false, false, batch, in, out, dy.data, out, w.data, in, dx.data, in, nullptr);
  // dw [O, I] = dy^T [O, B] x [B, I]
  if (!dw.empty())
    gemm_->run(true, false, out, in, batch, dy.data, out, x.data, in, dw.data, in, nullptr);
  // db [O] = column sums of dy: [B, O] read as B samples of O channels.
  if (!db.empty()) {
    const auto [split, scratch] = channel_split(op, batch, out, 1);
    kernels::bias_grad(dy.data, db.data, split, scratch, stream_.get());
  }
}

}  // namespace emnist::cuda
