#pragma once
// Single-precision GEMM for the CPU ops (oneDNN's sgemm, which picks its kernels by the CPU's
// instruction sets), row-major with cblas's conventions:
// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, op(X) = X or X^T as trans_* says, and
// lda/ldb/ldc the row strides of A, B and C as stored.
#include <cstdint>

namespace emnist::cpu {

// Splits the product across the OpenMP threads (each calling a one-thread oneDNN sgemm), by rows or
// columns of C, whichever is longer; small products run on the calling thread. Each element of C is
// computed by exactly one thread, so the result does not depend on timing.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The same product on the calling thread only: for use inside a parallel loop.
void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);

}  // namespace emnist::cpu
