#pragma once
// How the CPU ops share work between OpenMP threads.
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

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
// all of it when `work` (elements' worth of simple per-element work) is below the grain.
// For loops that must vectorise: a body that passes its values on as by-value arguments to a plain
// loop lets the compiler keep them in registers. Inside `omp parallel for`, shared values are read
// through a pointer that any float store might alias: Adam's pass, built with -fno-math-errno
// (without which its sqrtf cannot vectorise at all), ran four times slower that way.
template <class Body>
void parallel_ranges(int64_t n, int64_t work, Body body) {
  if (!worth_parallel(work)) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const Range r = share(n, omp_get_thread_num(), omp_get_num_threads());
    body(r.begin, r.end);
  }
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
