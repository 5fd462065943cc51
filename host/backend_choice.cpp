// The one policy for train.device and --device: which backend a command gets, and what it says
// when it cannot have the one asked for. Part of the engine target (the CPU build's core, or the
// CUDA target), since it asks cuda_info.hpp's query_cuda and make_cuda_backend.
#include <spdlog/spdlog.h>

#include <mutex>

#include "emnist/config.hpp"
#include "emnist/cuda_info.hpp"
#include "emnist/error.hpp"

namespace emnist {

std::unique_ptr<Backend> make_cpu_backend_for(const TrainConfig* train) {
  // tf32 and bf16 are tensor-core modes: the CPU computes in fp32 whatever the config says, and a
  // user comparing runs should know. Once per process: a sweep makes a backend per trial.
  if (train != nullptr && train->precision != Precision::fp32) {
    static std::once_flag said;
    std::call_once(said, [&] {
      spdlog::warn(
          "train.precision = \"{}\" applies on a GPU only; the CPU backend computes in fp32",
          choice_name(train->precision));
    });
  }
  return make_cpu_backend();
}

std::unique_ptr<Backend> make_backend(DeviceChoice device, const TrainConfig* train) {
  if (device == DeviceChoice::cpu) return make_cpu_backend_for(train);
  const CudaStatus status = query_cuda();
  if (status.gpus.empty()) {
    if (device == DeviceChoice::cuda) {
      throw UserError("--device cuda: " + status.no_gpu_reason +
                      (status.compiled
                           ? "; use --device cpu, or --device auto to fall back to the CPU"
                           : "; rebuild with the CUDA toolkit installed, or use --device cpu"));
    }
    spdlog::info("device auto: {}; running on the CPU", status.no_gpu_reason);
    return make_cpu_backend_for(train);
  }
  return make_cuda_backend(device, status.gpus.front(), train);
}

}  // namespace emnist
