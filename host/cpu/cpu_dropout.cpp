// Inverted dropout. The mask is never stored: forward and backward both draw it from
// math::dropout_keep(seed, layer, step, element), a pure function, so they agree with each other
// and with the CUDA kernels bit for bit.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_dropout_mask.hpp"
#include "cpu/cpu_parallel.hpp"
#include "cpu/cpu_simd.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

// The hash's 64-bit multiplies vectorise with AVX-512 only; below it the loop is scalar.
void dropout_factors(uint64_t key, uint64_t first, int64_t n, float p, float scale, float* out) {
  at_simd_level(simd_level(), [=] {
    for (int64_t j = 0; j < n; ++j)
      out[j] = math::dropout_factor(key, first + static_cast<uint64_t>(j), p, scale);
  });
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
