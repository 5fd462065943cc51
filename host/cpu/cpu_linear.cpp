// Fully connected layer: y = x w^T + b, all three products as one GEMM each, transposes folded into
// the BLAS call rather than copied.
#include <omp.h>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_gemm.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

void CpuBackend::linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) {
  const checks::LinearDims d = checks::linear_forward(Device::cpu, x, w, b, y);
  // Locals rather than a structured binding: Clang before 16 cannot capture one in a lambda.
  const int64_t batch = d.batch, in = d.in, out = d.out;

  float beta = 0.0f;
  if (!b.empty()) {
    // Start y at the bias and let the GEMM accumulate onto it: no second pass over y.
    const float* bias = b.data;
    float* dst = y.data;
    parallel_for(batch, batch * out, [=](int64_t r) {
      for (int64_t o = 0; o < out; ++o) dst[r * out + o] = bias[o];
    });
    beta = 1.0f;
  }
  gemm(false, true, batch, out, in, 1.0f, x.data, in, w.data, in, beta, y.data, out);
}

void CpuBackend::linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
  const checks::LinearDims d = checks::linear_backward(Device::cpu, x, w, dy, dx, dw, db);
  const int64_t batch = d.batch, in = d.in, out = d.out;

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
    parallel_ranges(out, batch * out, [=](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) sums[o] = 0.0;
      for (int64_t r = 0; r < batch; ++r) {
        const float* row = g + r * out;
        for (int64_t o = begin; o < end; ++o) sums[o] += static_cast<double>(row[o]);
      }
      for (int64_t o = begin; o < end; ++o) bias_grad[o] = static_cast<float>(sums[o]);
    });
  }
}

}  // namespace emnist::cpu
