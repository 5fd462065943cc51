// Fully connected layer: y = x w^T + b, each product one cuBLASLt call in the CPU backend's
// row-major form (transposes folded into the call, not copied); the forward bias rides in the
// GEMM's epilogue, the bias gradient is a fixed-order column sum.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) {
  const char* op = "linear_forward";
  const OpRange range{op};
  require_tensor(x, 2, op, "x");
  require_tensor(w, 2, op, "w");
  require_tensor(y, 2, op, "y");
  const int64_t batch = x.dim(0), in = x.dim(1), out = w.dim(0);
  require(w.dim(1) == in, op, "w must be [O, I] with I = x's columns");
  require(y.dim(0) == batch && y.dim(1) == out, op, "y must be [B, O]");
  if (!b.empty()) require_vector(b, out, op, "b");
  // y [B, O] = x [B, I] w^T [I, O] (+ b on every row)
  gemm_->run(false, true, batch, out, in, x.data, in, w.data, in, y.data, out,
             b.empty() ? nullptr : b.data);
}

void CudaBackend::linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
  const char* op = "linear_backward";
  const OpRange range{op};
  require_tensor(x, 2, op, "x");
  require_tensor(w, 2, op, "w");
  require_tensor(dy, 2, op, "dy");
  const int64_t batch = x.dim(0), in = x.dim(1), out = w.dim(0);
  require(w.dim(1) == in, op, "w must be [O, I] with I = x's columns");
  require(dy.dim(0) == batch && dy.dim(1) == out, op, "dy must be [B, O]");
  require_optional(dx, 2, op, "dx");
  require_optional(dw, 2, op, "dw");
  if (!dx.empty()) require_same_shape(dx, x, op, "dx and x");
  if (!dw.empty()) require_same_shape(dw, w, op, "dw and w");
  if (!db.empty()) require_vector(db, out, op, "db");

  // dx [B, I] = dy [B, O] w [O, I]
  if (!dx.empty())
    gemm_->run(false, false, batch, in, out, dy.data, out, w.data, in, dx.data, in, nullptr);
  // dw [O, I] = dy^T [O, B] x [B, I]
  if (!dw.empty())
    gemm_->run(true, false, out, in, batch, dy.data, out, x.data, in, dw.data, in, nullptr);
  // db [O] = column sums of dy: [B, O] read as B samples of O channels.
  if (!db.empty()) kernels::bias_grad(dy.data, db.data, batch, out, 1, stream_.get());
}

}  // namespace emnist::cuda
