#include "cpu/cpu_gemm.hpp"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <limits>

#include "cpu/cpu_parallel.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// Below this many multiply-adds a product takes a few microseconds: splitting it costs more.
constexpr int64_t kSplitWork = int64_t{1} << 18;
// A split product is cut into pieces of this many rows (or columns) whatever the thread count:
// a GEMM library may take another kernel path, and another summation order, for another piece size
// (measured on AMD EPYC with OpenBLAS: a 128x200x784 product cut in two halves differed from the
// whole in the last bits), so the pieces must not depend on the threads. A multiple of 16 keeps the
// kernels' full register tiles.
constexpr int64_t kPiece = 64;

void check_dimension(int64_t v) {
  checks::OpCheck(Device::cpu, "gemm")
      .require(v >= 0 && v <= std::numeric_limits<int>::max(), "dimension out of GEMM range");
}

}  // namespace

void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  if (m == 0 || n == 0) return;
  const OneThreadScope one_thread;
  // oneDNN checks its arguments as BLAS does, so a zero leading dimension must still be at least 1.
  const dnnl_status_t status = dnnl_sgemm(
      trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, std::max<int64_t>(lda, 1), b,
      std::max<int64_t>(ldb, 1), beta, c, std::max<int64_t>(ldc, 1));
  // Arguments are checked before any parallel loop, so only a bug can get here: stop, naming it.
  checks::OpCheck(Device::cpu, "gemm").require(status == dnnl_success, "oneDNN sgemm failed");
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // Checked here, on the calling thread: an exception must not escape a parallel region.
  for (int64_t v : {m, n, k, lda, ldb, ldc}) check_dimension(v);
  // Inside a parallel region (one product per sample, say) the product is whole, as it is for
  // small ones: neither depends on the thread count.
  if (omp_in_parallel() || m * n * k < kSplitWork) {
    gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const bool split_rows = m >= n;
  const int64_t length = split_rows ? m : n;
  const int64_t pieces = (length + kPiece - 1) / kPiece;
  const int parts = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), pieces));
#pragma omp parallel for schedule(static) num_threads(parts)
  for (int64_t piece = 0; piece < pieces; ++piece) {
    const int64_t begin = piece * kPiece;
    const int64_t end = std::min(begin + kPiece, length);
    if (split_rows) {
      const float* a_part = trans_a ? a + begin : a + begin * lda;
      gemm_serial(trans_a, trans_b, end - begin, n, k, alpha, a_part, lda, b, ldb, beta,
                  c + begin * ldc, ldc);
    } else {
      const float* b_part = trans_b ? b + begin * ldb : b + begin;
      gemm_serial(trans_a, trans_b, m, end - begin, k, alpha, a, lda, b_part, ldb, beta, c + begin,
                  ldc);
    }
  }
}

}  // namespace emnist::cpu
