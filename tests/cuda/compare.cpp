#include "compare.hpp"

#include <map>
#include <memory>

namespace emnist::cuda_test {

Backend& cpu() { return reference_backend(); }

// Never destroyed: tearing down cuDNN and cuBLASLt handles during static destruction would race
// the CUDA runtime's own exit handlers, and the process is ending anyway.
Backend& gpu(cuda::Precision precision, bool deterministic) {
  static auto* backends = new std::map<std::pair<int, bool>, std::unique_ptr<cuda::CudaBackend>>;
  auto& slot = (*backends)[{static_cast<int>(precision), deterministic}];
  if (!slot) {
    cuda::CudaOptions options;
    options.precision = precision;
    options.deterministic = deterministic;
    slot = std::make_unique<cuda::CudaBackend>(options);
  }
  return *slot;
}

}  // namespace emnist::cuda_test
