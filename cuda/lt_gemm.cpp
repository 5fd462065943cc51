#include "lt_gemm.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "cuda_check.hpp"
#include "device_memory.hpp"
#include "kernels/kernels.hpp"

namespace emnist::cuda {
namespace {

// NVIDIA's recommended cuBLASLt workspace for Hopper; allocated once with the backend.
constexpr size_t kWorkspaceBytes = size_t{32} << 20;

// The epilogue reads the bias with vector loads: an unaligned bias pointer has been seen to fail
// (Marian NMT, on A100), so below this the bias goes through a kernel instead.
constexpr int64_t kBiasEpilogueAlignment = 16;

// The largest power of two (up to 256, cuBLASLt's default assumption) dividing the address:
// cuBLASLt's heuristic assumes 256-byte aligned matrices unless told otherwise, and views into the
// flat parameter buffer are often less aligned than that.
int64_t alignment(const void* ptr) {
  const auto address = reinterpret_cast<uintptr_t>(ptr);
  int64_t a = 1;
  while (a < 256 && address % static_cast<uintptr_t>(2 * a) == 0) a *= 2;
  return a;
}

cublasComputeType_t compute_type(Precision p) {
  switch (p) {
    case Precision::fp32:
      return CUBLAS_COMPUTE_32F;  // fp32 FMA: no down-conversion of the inputs
    case Precision::tf32:
      return CUBLAS_COMPUTE_32F_FAST_TF32;
    case Precision::bf16:
      // fp32 storage; the tensor cores round the inputs to bf16 and accumulate in fp32.
      return CUBLAS_COMPUTE_32F_FAST_16BF;
  }
  return CUBLAS_COMPUTE_32F;
}

template <typename T>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const T& value) {
  EMNIST_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attr, &value, sizeof value));
}

template <typename T>
void set_pref(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attr,
              const T& value) {
  EMNIST_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof value));
}

void check_dims(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
  for (int64_t v : {m, n, k, lda, ldb, ldc}) {
    if (v < 0 || v > std::numeric_limits<int32_t>::max())
      throw std::invalid_argument("cuda backend: gemm dimension out of range");
  }
}

}  // namespace

LtGemm::LtGemm(cudaStream_t stream, Precision precision)
    : stream_(stream), compute_(compute_type(precision)), handle_(create_cublaslt()) {
  workspace_ = device_malloc(kWorkspaceBytes, "the cuBLASLt workspace");
}

LtGemm::~LtGemm() { device_free(workspace_); }

bool LtGemm::find_algo(Plan& plan, const Key& key) {
  MatmulPreference pref = create_matmul_preference();
  set_pref(pref.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64_t{kWorkspaceBytes});
  // cuBLASLt's A is our B and its B our A; C and D are both our C.
  set_pref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, static_cast<uint32_t>(key[9]));
  set_pref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, static_cast<uint32_t>(key[8]));
  set_pref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, static_cast<uint32_t>(key[10]));
  set_pref(pref.get(), CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, static_cast<uint32_t>(key[10]));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status =
      cublasLtMatmulAlgoGetHeuristic(handle_.get(), plan.desc.get(), plan.a.get(), plan.b.get(),
                                     plan.d.get(), plan.d.get(), pref.get(), 1, &result, &found);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || found == 0) return false;
  EMNIST_CUBLAS_CHECK(status);
  if (result.state != CUBLAS_STATUS_SUCCESS) return false;
  plan.algo = result.algo;
  return true;
}

LtGemm::Plan LtGemm::make_plan(const Key& key, const float* bias) {
  if (compute_ != CUBLAS_COMPUTE_32F) {
    if (std::optional<Plan> plan = try_plan(key, bias, compute_)) return std::move(*plan);
    // Tensor-core kernels want aligned operands; a view into the flat parameter buffer after an
    // odd-sized tensor is only 4-byte aligned. The product is then computed in plain fp32 (more
    // precise than asked, and slower), said once per shape.
    spdlog::info(
        "cuBLASLt has no TF32/BF16 algorithm for C[{}, {}] with k = {} at alignments {}/{}/{} "
        "bytes; that product runs in fp32",
        key[2], key[3], key[4], key[8], key[9], key[10]);
  }
  if (std::optional<Plan> plan = try_plan(key, bias, CUBLAS_COMPUTE_32F)) return std::move(*plan);
  throw std::runtime_error(fmt::format(
      "cuBLASLt has no algorithm for the product C[{}, {}] = op(A) op(B) with k = {} (trans_a {}, "
      "trans_b {}, ld {} {} {}, alignments {}/{}/{} bytes)",
      key[2], key[3], key[4], key[0] != 0, key[1] != 0, key[5], key[6], key[7], key[8], key[9],
      key[10]));
}

std::optional<LtGemm::Plan> LtGemm::try_plan(const Key& key, const float* bias,
                                             cublasComputeType_t compute) {
  const bool trans_a = key[0] != 0, trans_b = key[1] != 0;
  const int64_t m = key[2], n = key[3], k = key[4], lda = key[5], ldb = key[6], ldc = key[7];
  Plan plan;
  plan.desc = create_matmul_desc(compute);
  const int32_t op_a = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int32_t op_b = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_TRANSA, op_a);
  set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_TRANSB, op_b);
  // As stored, column-major: our row-major B is [k, n] (or [n, k] transposed) with row stride ldb,
  // i.e. column-major n x k (k x n) with leading dimension ldb; likewise for A.
  plan.a = create_matrix_layout(static_cast<uint64_t>(trans_b ? k : n),
                                static_cast<uint64_t>(trans_b ? n : k), ldb);
  plan.b = create_matrix_layout(static_cast<uint64_t>(trans_a ? m : k),
                                static_cast<uint64_t>(trans_a ? k : m), lda);
  plan.d = create_matrix_layout(static_cast<uint64_t>(n), static_cast<uint64_t>(m), ldc);

  if (bias != nullptr && key[11] >= kBiasEpilogueAlignment) {
    set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE, uint32_t{CUBLASLT_EPILOGUE_BIAS});
    set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, int32_t{CUDA_R_32F});
    // The heuristic reads the pointer's value to judge its alignment.
    set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));
    if (find_algo(plan, key)) {
      plan.bias_epilogue = true;
      return plan;
    }
    // No kernel for this shape with the epilogue: plain product, then the bias kernel.
    set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_EPILOGUE, uint32_t{CUBLASLT_EPILOGUE_DEFAULT});
  }
  if (!find_algo(plan, key)) return std::nullopt;
  return plan;
}

void LtGemm::run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                 const float* bias) {
  check_dims(m, n, k, lda, ldb, ldc);
  // The bias kernel (and the epilogue's broadcast) treat C as packed rows.
  if (bias != nullptr && ldc != n)
    throw std::invalid_argument("cuda backend: gemm with a bias needs ldc == n");
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // An empty sum: C is zero, plus the bias.
    EMNIST_CUDA_CHECK(cudaMemset2DAsync(c, sizeof(float) * static_cast<size_t>(ldc), 0,
                                        sizeof(float) * static_cast<size_t>(n),
                                        static_cast<size_t>(m), stream_));
    if (bias != nullptr) kernels::bias_add(c, bias, m, n, 1, stream_);
    return;
  }
  const Key key{trans_a,
                trans_b,
                m,
                n,
                k,
                lda,
                ldb,
                ldc,
                alignment(a),
                alignment(b),
                alignment(c),
                bias == nullptr ? 0 : alignment(bias)};
  auto it = plans_.find(key);
  if (it == plans_.end()) it = plans_.emplace(key, make_plan(key, bias)).first;
  Plan& plan = it->second;
  if (plan.bias_epilogue)
    set_desc(plan.desc.get(), CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));

  const float one = 1.0f, zero = 0.0f;
  // beta = 0: C is not read, so whatever it held (NaN included) does not leak into the result.
  EMNIST_CUBLAS_CHECK(cublasLtMatmul(handle_.get(), plan.desc.get(), &one, b, plan.a.get(), a,
                                     plan.b.get(), &zero, c, plan.d.get(), c, plan.d.get(),
                                     &plan.algo, workspace_, kWorkspaceBytes, stream_));
  if (bias != nullptr && !plan.bias_epilogue) kernels::bias_add(c, bias, m, n, 1, stream_);
}

}  // namespace emnist::cuda
