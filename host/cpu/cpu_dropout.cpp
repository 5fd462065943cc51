// Inverted dropout. The mask is never stored: forward and backward both draw it from
// math::dropout_keep(seed, layer, step, element), a pure function, so they agree with each other
// and with the CUDA kernels bit for bit.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_dropout_mask.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

namespace {

// The same loop twice: compiled for AVX-512 (x86-64-v4) and for the baseline, chosen once by what
// the CPU reports. Both give the same bits (integer hashing, a 24-bit integer converted to float
// exactly, one comparison, one float product). Chosen by hand rather than by target_clones, whose
// ifunc resolver runs before ThreadSanitizer's runtime starts and crashes instrumented builds.
__attribute__((target("arch=x86-64-v4"))) void factors_avx512(uint64_t key, uint64_t first,
                                                              int64_t n, float p, float scale,
                                                              float* out) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = math::dropout_factor(key, first + static_cast<uint64_t>(j), p, scale);
}

void factors_baseline(uint64_t key, uint64_t first, int64_t n, float p, float scale, float* out) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = math::dropout_factor(key, first + static_cast<uint64_t>(j), p, scale);
}

bool has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}

}  // namespace

void dropout_factors(uint64_t key, uint64_t first, int64_t n, float p, float scale, float* out) {
  static const bool avx512 = has_avx512();
  (avx512 ? factors_avx512 : factors_baseline)(key, first, n, p, scale, out);
}

namespace {

// out[i] = in[i] * factor(i), for forward (in = x) and backward (in = dy) alike.
void apply_mask(const char* op, Tensor in, Tensor out, float p, uint64_t seed, uint32_t layer,
                const StepScalars* scalars) {
  checks::dropout(Device::cpu, op, in, out, p, scalars);
  const int64_t n = in.numel();
  const DropoutMask mask(seed, layer, scalars, p);
  const float* src = in.data;
  float* dst = out.data;
  constexpr int64_t kRun = 4096;  // elements per parallel iteration
  // A draw costs about as much as a copy, so smaller tensors already pay for a second thread.
#pragma omp parallel for schedule(static) if (worth_parallel(n * 2))
  for (int64_t begin = 0; begin < n; begin += kRun) {
    with_factors(mask, begin, std::min(n, begin + kRun),
                 [=](int64_t i, float factor) { dst[i] = src[i] * factor; });
  }
}

}  // namespace

void CpuBackend::dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                                 const StepScalars* scalars) {
  apply_mask("dropout_forward", x, y, p, seed, layer, scalars);
}

void CpuBackend::dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                                  const StepScalars* scalars) {
  apply_mask("dropout_backward", dy, dx, p, seed, layer, scalars);
}

}  // namespace emnist::cpu
