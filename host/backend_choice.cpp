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
  if (train == nullptr || train->precision == Precision::fp32) return make_cpu_backend();
  // The CPU has no TF32 arithmetic: what tf32 allows it is convolutions that round more than fp32
  // sums of products, Winograd's algorithm (far inside TF32's rounding). Said once per process (a
  // sweep makes a backend per trial): a user comparing runs should know what the mode changes.
  const bool tf32 = train->precision == Precision::tf32;
  static std::once_flag said;
  std::call_once(said, [tf32] {
    spdlog::info(
        tf32 ? "train.precision = \"tf32\" on the CPU: 3x3 convolutions may use Winograd's "
               "algorithm (oneDNN), which rounds more than fp32 sums but far less than TF32; the "
               "rest computes in fp32 (fp32 keeps every convolution direct)"
             : "train.precision = \"bf16\" on the CPU: convolutions multiply in bfloat16 and sum "
               "in fp32 where this CPU has AMX (oneDNN), direct fp32 where it has not; weights, "
               "batch norm, the matrix products and the rest stay fp32");
  });
  return make_cpu_backend(tf32 ? CpuConvolution::winograd : CpuConvolution::bf16);
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
