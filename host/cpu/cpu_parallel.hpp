#pragma once
// How the CPU ops share work between OpenMP threads.
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/cpu_simd.hpp"

namespace emnist::cpu {

// Below this many elements of simple per-element work, waking a second thread costs more than it
// saves (a fork/join is a few microseconds; a core streams about that many floats in that time).
inline constexpr int64_t kParallelGrain = int64_t{1} << 15;

inline bool worth_parallel(int64_t elements) { return elements >= kParallelGrain; }

// The [begin, end) share of n items for part `part` of `parts`: contiguous, in order, and a pure
// function of its arguments, so a partition never depends on timing.
struct Range {
  int64_t begin;
  int64_t end;
};
inline Range share(int64_t n, int part, int parts) {
  return Range{n * part / parts, n * (part + 1) / parts};
}

// Calls body(begin, end) once per OpenMP thread with that thread's share of [0, n), or once with
// all of it when `work` (elements' worth of simple per-element work) is below the grain; either
// way compiled for the widest vector instructions the CPU has (cpu_simd.hpp).
// For loops that must vectorise: a body that passes its values on as by-value arguments to a plain
// loop lets the compiler keep them in registers. Inside `omp parallel for`, shared values are read
// through a pointer that any float store might alias: Adam's pass, built with -fno-math-errno
// (without which its sqrtf cannot vectorise at all), ran four times slower that way.
template <class Body>
void parallel_ranges(int64_t n, int64_t work, Body body) {
  const SimdLevel level = simd_level();
  if (!worth_parallel(work)) {
    at_simd_level(level, [&] { body(int64_t{0}, n); });
    return;
  }
#pragma omp parallel
  {
    const Range r = share(n, omp_get_thread_num(), omp_get_num_threads());
    at_simd_level(level, [&] { body(r.begin, r.end); });
  }
}

// Calls body(i) for every i in [0, n), shared as parallel_ranges shares it.
template <class Body>
void parallel_for(int64_t n, int64_t work, Body body) {
  parallel_ranges(n, work, [&body](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

// oneDNN shares its work between the OpenMP threads when it is called, or its kernels are planned,
// outside a parallel region (and runs on the calling thread inside one). Outside, its own split
// would make summation orders depend on the thread count, so the calling thread's limit is 1 while
// this lives.
class OneThreadScope {
 public:
  OneThreadScope() : saved_(omp_in_parallel() ? 0 : omp_get_max_threads()) {
    if (saved_ > 1) omp_set_num_threads(1);
  }
  ~OneThreadScope() {
    if (saved_ > 1) omp_set_num_threads(saved_);
  }
  OneThreadScope(const OneThreadScope&) = delete;
  OneThreadScope& operator=(const OneThreadScope&) = delete;

 private:
  int saved_;
};

// Scratch buffers only ever grow, so steady-state calls allocate nothing.
template <class T>
T* grow(std::vector<T>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

}  // namespace emnist::cpu
