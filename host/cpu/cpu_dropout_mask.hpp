#pragma once
// Dropout's mask on the CPU, for the dropout ops and for batch norm's fused dropout: the factors
// of math::dropout_factor, drawn a piece at a time into a buffer by a loop compiled for the widest
// vector unit the CPU has (the hash's 64-bit multiplies vectorise with AVX-512; without it the
// loop is scalar and several times slower), then applied by the caller's own loop.
#include <algorithm>
#include <cstdint>

#include "emnist/backend.hpp"
#include "emnist/element_math.hpp"

namespace emnist::cpu {

// out[j] = math::dropout_factor(key, first + j, p, scale) for j in [0, n).
void dropout_factors(uint64_t key, uint64_t first, int64_t n, float p, float scale, float* out);

// No dropout: every factor is 1, and nothing is drawn.
struct NoDropout {
  static constexpr bool active = false;
};

struct DropoutMask {
  static constexpr bool active = true;
  uint64_t key;
  float p, scale;  // scale = 1/(1-p) in float, as every backend computes it

  DropoutMask(uint64_t seed, uint32_t layer, const StepScalars* scalars, float p_)
      : key(math::dropout_key(seed, layer, static_cast<uint64_t>(scalars->step))),
        p(p_),
        scale(1.0f / (1.0f - p_)) {}
};

// Calls body(i, factor) for i in [begin, end), factor being element i's. The calls must be
// independent of each other (each writes its own element): they run as SIMD lanes. The compiler
// cannot prove that alone, because the factors' buffer has been handed to dropout_factors.
template <class Mask, class Body>
[[gnu::always_inline]] inline void with_factors(const Mask& mask, int64_t begin, int64_t end,
                                                Body body) {
  if constexpr (!Mask::active) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) body(i, 1.0f);
  } else {
    constexpr int64_t kPiece = 512;
    float factor[kPiece];
    for (int64_t first = begin; first < end; first += kPiece) {
      const int64_t n = std::min(kPiece, end - first);
      dropout_factors(mask.key, static_cast<uint64_t>(first), n, mask.p, mask.scale, factor);
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) body(first + j, factor[j]);
    }
  }
}

}  // namespace emnist::cpu
