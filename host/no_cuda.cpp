// The CPU-only build's answers to the CUDA questions (compiled only when EMNIST_CUDA is off).
#include "emnist/cuda_info.hpp"
#include "emnist/error.hpp"

#include <spdlog/spdlog.h>

namespace emnist {

CudaStatus query_cuda() {
  CudaStatus status;
  status.no_gpu_reason =
      "this build has no CUDA backend (configured with EMNIST_CUDA=OFF or without nvcc)";
  return status;
}

std::unique_ptr<Backend> make_backend(const std::string& device, const TrainConfig* train) {
  if (device == "cuda")
    throw UserError("--device cuda: " + query_cuda().no_gpu_reason +
                    "; rebuild with the CUDA toolkit installed, or use --device cpu");
  return make_cpu_backend_for(train);
}

}  // namespace emnist
