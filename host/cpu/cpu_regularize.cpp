// L1 and L2 penalties on a span of weights: grad += l1 * sign(w) + l2 * w, and the penalty itself,
// l1 * sum |w| + l2 / 2 * sum w^2, whose gradient that is.
#include <algorithm>
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "cpu/cpu_reduce.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// The penalty is summed in chunks of this size, chunk sums combined in order: a fixed order that
// does not depend on the thread count.
constexpr int64_t kChunk = int64_t{1} << 14;

// sign(0) = 0: a weight at exactly zero gets no L1 push (PyTorch's sign, and the subgradient the
// CUDA kernel must match).
float sign(float w) { return static_cast<float>((w > 0.0f) - (w < 0.0f)); }

}  // namespace

void CpuBackend::regularize(Tensor weights, Tensor grads, float l1, float l2, float* penalty) {
  checks::regularize(Device::cpu, weights, grads);
  const int64_t n = weights.numel();
  const float* w = weights.data;
  if (!grads.empty() && (l1 != 0.0f || l2 != 0.0f)) {
    float* g = grads.data;
    parallel_ranges(n, n, [=](int64_t begin, int64_t end) {
#pragma omp simd
      for (int64_t i = begin; i < end; ++i) g[i] += l1 * sign(w[i]) + l2 * w[i];
    });
  }
  if (penalty == nullptr) return;

  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double* abs_sums = grow(sums_, static_cast<size_t>(2 * chunks));
  double* sq_sums = abs_sums + chunks;
  parallel_for(chunks, chunks > 1 ? kParallelGrain : 0, [=](int64_t k) {
    const float* chunk = w + k * kChunk;
    const int64_t len = std::min(kChunk, n - k * kChunk);
    sum2_double(
        len, [chunk](int64_t i) { return std::fabs(static_cast<double>(chunk[i])); },
        [chunk](int64_t i) {
          return static_cast<double>(chunk[i]) * static_cast<double>(chunk[i]);
        },
        abs_sums[k], sq_sums[k]);
  });
  double sum_abs = 0.0, sum_sq = 0.0;
  for (int64_t k = 0; k < chunks; ++k) {
    sum_abs += abs_sums[k];
    sum_sq += sq_sums[k];
  }
  penalty[0] = static_cast<float>(static_cast<double>(l1) * sum_abs +
                                  0.5 * static_cast<double>(l2) * sum_sq);
}

}  // namespace emnist::cpu
