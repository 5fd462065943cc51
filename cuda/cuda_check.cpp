#include "cuda_check.hpp"

namespace emnist::cuda {

void throw_cuda_error(const char* library, const char* call, const char* file, int line,
                      const std::string& message) {
  throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + library +
                           " call " + call + " failed: " + message);
}

}  // namespace emnist::cuda
