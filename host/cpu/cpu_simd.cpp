#include "cpu/cpu_simd.hpp"

#include <algorithm>
#include <atomic>

namespace emnist::cpu {
namespace {

SimdLevel detect() {
#if defined(__x86_64__)
  // GCC's and Clang's checks include the operating system's support (XCR0) for the AVX and
  // AVX-512 registers. x86-64-v4 is AVX-512 F, BW, CD, DQ and VL; x86-64-v3 is AVX2 with FMA,
  // BMI1/2, F16C, LZCNT and MOVBE, which every CPU with AVX2, FMA and BMI2 has.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    return SimdLevel::avx2;
#endif
  return SimdLevel::baseline;
}

std::atomic<SimdLevel> limit{SimdLevel::avx512};

}  // namespace

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512:
      return "AVX-512";
    case SimdLevel::avx2:
      return "AVX2";
    case SimdLevel::baseline:
      break;
  }
  return "SSE2";
}

SimdLevel cpu_simd_level() {
  static const SimdLevel level = detect();
  return level;
}

SimdLevel simd_level() { return std::min(cpu_simd_level(), limit.load(std::memory_order_relaxed)); }

SimdLimit::SimdLimit(SimdLevel level) : before_(limit.load()) {
  limit.store(std::min(before_, level));
}
SimdLimit::~SimdLimit() { limit.store(before_); }

}  // namespace emnist::cpu
