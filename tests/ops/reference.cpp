#include "ops/reference.hpp"

#include "ops/thread_limit.hpp"

namespace emnist::test {

// Never destroyed: in cuda_tests, destruction at exit would race the CUDA runtime's own exit
// handlers for the other backends' handles, and the process is ending anyway.
Backend& reference_backend() {
  static Backend* backend = make_cpu_backend().release();
  return *backend;
}

void run_reference(const std::function<void(Backend&)>& ops) {
  const ThreadLimit one(1);
  ops(reference_backend());
}

}  // namespace emnist::test
