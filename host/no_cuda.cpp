// The CPU-only build's answers to the CUDA questions (compiled only when EMNIST_CUDA is off).
#include "emnist/cuda_info.hpp"

#include <stdexcept>

namespace emnist {

CudaStatus query_cuda() {
  CudaStatus status;
  status.no_gpu_reason =
      "this build has no CUDA backend (configured with EMNIST_CUDA=OFF or without nvcc)";
  return status;
}

std::unique_ptr<Backend> make_cuda_backend(DeviceChoice, const GpuDevice&, const TrainConfig*) {
  // make_backend asks only when query_cuda lists a GPU, which this build never does.
  throw std::logic_error("make_cuda_backend called in a build without CUDA");
}

}  // namespace emnist
