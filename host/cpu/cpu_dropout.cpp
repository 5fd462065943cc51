// Inverted dropout. The mask is never stored: forward and backward both draw it from
// math::dropout_keep(seed, layer, step, element), a pure function, so they agree with each other
// and with the CUDA kernels bit for bit.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// out[i] = keep(i) ? in[i] / (1 - p) : 0, for forward (in = x) and backward (in = dy) alike.
void apply_mask(const char* op, Tensor in, Tensor out, float p, uint64_t seed, uint32_t layer,
                const StepScalars* scalars) {
  checks::dropout(Device::cpu, op, in, out, p, scalars);
  const int64_t n = in.numel();
  const uint64_t step = static_cast<uint64_t>(scalars->step);
  const float scale = 1.0f / (1.0f - p);
  const float* src = in.data;
  float* dst = out.data;
  // A draw costs several times a plain copy, so smaller tensors already pay for a second thread.
#pragma omp parallel for schedule(static) if (worth_parallel(n * 4))
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = math::dropout_keep(seed, layer, step, static_cast<uint64_t>(i), p);
    // keep as a number, not a branch: a branch mispredicts on a fraction p of the elements and
    // triples the cost of the loop.
    dst[i] = src[i] * (static_cast<float>(keep) * scale);
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
