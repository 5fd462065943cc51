#pragma once
// OpenMP's thread limit for the calling thread, set for a scope and restored at its end (an
// exception or a failed REQUIRE included), so that one test's limit never leaks into the next.
#include <omp.h>

namespace emnist::test {

class ThreadLimit {
 public:
  explicit ThreadLimit(int threads) : before_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ThreadLimit() { omp_set_num_threads(before_); }
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int before_;
};

}  // namespace emnist::test
