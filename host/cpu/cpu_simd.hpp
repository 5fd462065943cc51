#pragma once
// Which vector instructions the CPU ops' own loops run with. The build targets plain x86-64 (SSE2,
// four floats a vector), so that one binary runs on any x86-64 CPU; at_simd_level compiles a loop
// twice more, for x86-64-v3 (AVX2, eight floats) and x86-64-v4 (AVX-512, sixteen), and runs the
// widest the CPU has. parallel_ranges (cpu_parallel.hpp) runs every body it is given this way.
//
// Every level gives the same bits: products and sums are rounded one at a time (-ffp-contract=off,
// so no FMA), the compiler never reorders a floating-point sum, division and square roots are
// correctly rounded in every instruction set, and nothing calls a vector maths library. The tests
// compare each level the test machine has with the baseline, bit for bit.
#include <cstdint>

namespace emnist::cpu {

enum class SimdLevel { baseline, avx2, avx512 };

const char* simd_level_name(SimdLevel level);

// The widest level this CPU and its operating system support, found once.
SimdLevel cpu_simd_level();

// The level loops run at now: the CPU's, or lower under a SimdLimit.
SimdLevel simd_level();

// While one lives, loops run at most at `level`: the tests compare each level with the baseline.
// Set it outside parallel regions; the ops read the level once per call.
class SimdLimit {
 public:
  explicit SimdLimit(SimdLevel level);
  ~SimdLimit();
  SimdLimit(const SimdLimit&) = delete;
  SimdLimit& operator=(const SimdLimit&) = delete;

 private:
  SimdLevel before_;
};

#if defined(__x86_64__)
// f() with f, and everything it calls whose code the compiler sees, inlined into a function
// compiled for the instruction set (flatten): a lambda's body is compiled three times. An OpenMP
// region inside f would still run at the baseline (its body is outlined before inlining), so the
// region goes around the call instead (parallel_ranges).
template <class F>
[[gnu::target("arch=x86-64-v4"), gnu::flatten]] void run_avx512(F& f) {
  f();
}
template <class F>
[[gnu::target("arch=x86-64-v3"), gnu::flatten]] void run_avx2(F& f) {
  f();
}

template <class F>
void at_simd_level(SimdLevel level, F&& f) {
  switch (level) {
    case SimdLevel::avx512:
      return run_avx512(f);
    case SimdLevel::avx2:
      return run_avx2(f);
    case SimdLevel::baseline:
      break;
  }
  f();
}
#else
template <class F>
void at_simd_level(SimdLevel, F&& f) {
  f();
}
#endif

}  // namespace emnist::cpu
