#pragma once
// Single-precision matrix products through cuBLASLt, row-major with cblas's conventions (as the CPU
// backend's gemm): C[m, n] = op(A)[m, k] op(B)[k, n] (+ bias[j] on every row), C overwritten.
//
// Row-major C is column-major C^T, and C^T = op(B)^T op(A)^T: so cuBLASLt's "A" is our B and its
// "B" is our A, with the transposes kept and the dimensions swapped (cuBLASLt computes an n x m
// column-major D). A bias per column of row-major C is then a bias per row of D, which is what
// CUBLASLT_EPILOGUE_BIAS adds.
//
// A plan (descriptors, layouts and the heuristic's algorithm) is made once per shape, leading
// dimensions and pointer alignments, and reused: a steady-state call only sets the bias pointer and
// launches. The algorithm for a plan never changes, so repeated calls give the same bits. In TF32
// or BF16 mode a shape with no algorithm in that compute type is planned in fp32 instead.
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>

#include "cuda_options.hpp"
#include "handles.hpp"

namespace emnist::cuda {

class LtGemm {
 public:
  LtGemm(cudaStream_t stream, Precision precision);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  // bias: null, or n floats added to every row of C.
  void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc, const float* bias);

 private:
  struct Plan {
    MatmulDesc desc;
    MatrixLayout a, b, d;  // cuBLASLt's A (our B), its B (our A), and D (our C transposed)
    cublasLtMatmulAlgo_t algo{};
    bool bias_epilogue = false;  // else the bias is added by a kernel afterwards
  };
  // trans_a, trans_b, m, n, k, lda, ldb, ldc, alignment of a, b, c, bias (0: no bias)
  using Key = std::array<int64_t, 12>;

  Plan make_plan(const Key& key, const float* bias);
  std::optional<Plan> try_plan(const Key& key, const float* bias, cublasComputeType_t compute);
  bool find_algo(Plan& plan, const Key& key);

  cudaStream_t stream_;
  cublasComputeType_t compute_;
  CublasLtHandle handle_;
  void* workspace_ = nullptr;
  std::map<Key, Plan> plans_;
};

}  // namespace emnist::cuda
