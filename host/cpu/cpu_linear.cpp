// Fully connected layer: y = x w^T + b, all three products as one GEMM each, transposes folded into
// the BLAS call rather than copied.
#include <omp.h>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_checks.hpp"
#include "cpu/cpu_gemm.hpp"
#include "cpu/cpu_parallel.hpp"

namespace emnist::cpu {

void CpuBackend::linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) {
  const char* op = "linear_forward";
  require_tensor(x, 2, op, "x");
  require_tensor(w, 2, op, "w");
  require_tensor(y, 2, op, "y");
  const int64_t batch = x.dim(0), in = x.dim(1), out = w.dim(0);
  require(w.dim(1) == in, op, "w must be [O, I] with I = x's columns");
  require(y.dim(0) == batch && y.dim(1) == out, op, "y must be [B, O]");
  if (!b.empty()) require_vector(b, out, op, "b");

  float beta = 0.0f;
  if (!b.empty()) {
    // Start y at the bias and let the GEMM accumulate onto it: no second pass over y.
    const float* bias = b.data;
    float* dst = y.data;
#pragma omp parallel for schedule(static) if (worth_parallel(batch * out))
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t o = 0; o < out; ++o) dst[r * out + o] = bias[o];
    }
    beta = 1.0f;
  }
  gemm(false, true, batch, out, in, 1.0f, x.data, in, w.data, in, beta, y.data, out);
}

void CpuBackend::linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
  const char* op = "linear_backward";
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
    gemm(false, false, batch, in, out, 1.0f, dy.data, out, w.data, in, 0.0f, dx.data, in);
  // dw [O, I] = dy^T [O, B] x [B, I]
  if (!dw.empty())
    gemm(true, false, out, in, batch, 1.0f, dy.data, out, x.data, in, 0.0f, dw.data, in);
  if (!db.empty()) {
    // Column sums of dy in double. Each thread owns a contiguous range of columns and walks the
    // rows in order, so every sum is taken in the same order whatever the thread count.
    double* sums = grow(sums_, static_cast<size_t>(out));
    const float* g = dy.data;
    float* bias_grad = db.data;
#pragma omp parallel if (worth_parallel(batch * out))
    {
      const Range cols = share(out, omp_get_thread_num(), omp_get_num_threads());
      for (int64_t o = cols.begin; o < cols.end; ++o) sums[o] = 0.0;
      for (int64_t r = 0; r < batch; ++r) {
        const float* row = g + r * out;
        for (int64_t o = cols.begin; o < cols.end; ++o) sums[o] += static_cast<double>(row[o]);
      }
      for (int64_t o = cols.begin; o < cols.end; ++o) bias_grad[o] = static_cast<float>(sums[o]);
    }
  }
}

}  // namespace emnist::cpu
