// y = a + b element by element: a residual block's two paths joined, forward and backward.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

void CpuBackend::add(Tensor a, Tensor b, Tensor y) {
  checks::add(Device::cpu, a, b, y);
  const int64_t n = y.numel();
  parallel_ranges(n, n, [pa = a.data, pb = b.data, py = y.data](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) py[i] = pa[i] + pb[i];
  });
}

}  // namespace emnist::cpu
