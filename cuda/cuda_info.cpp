#include "emnist/cuda_info.hpp"

#include <spdlog/spdlog.h>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "cuda_options.hpp"
#include "emnist/error.hpp"

namespace emnist {

CudaStatus query_cuda() {
  CudaStatus status;
  status.compiled = true;
  cudaRuntimeGetVersion(&status.runtime_version);
  // Without a driver this reports 0; it never fails for that reason.
  cudaDriverGetVersion(&status.driver_version);
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS)
    status.cublas_version =
        std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  // cudnnGetVersion encodes major*10000 + minor*100 + patch for cuDNN 9.
  const size_t cudnn = cudnnGetVersion();
  status.cudnn_version = std::to_string(cudnn / 10000) + "." + std::to_string(cudnn / 100 % 100) +
                         "." + std::to_string(cudnn % 100);

  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // Without any driver the runtime reports cudaErrorInsufficientDriver too, whose text ("CUDA
    // driver version is insufficient ...") would send a user to update a driver they do not have.
    if (status.driver_version == 0)
      status.no_gpu_reason = "no NVIDIA driver found";
    else if (err == cudaErrorInsufficientDriver)
      status.no_gpu_reason = "the NVIDIA driver supports CUDA " +
                             cuda_version_name(status.driver_version) + ", this build needs " +
                             cuda_version_name(status.runtime_version) + ": update the driver";
    else
      status.no_gpu_reason = std::string("no usable CUDA device (") + cudaGetErrorString(err) + ")";
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return status;
  }
  if (count == 0) status.no_gpu_reason = "no CUDA device visible";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    GpuDevice gpu;
    gpu.index = i;
    gpu.name = prop.name;
    gpu.cc_major = prop.major;
    gpu.cc_minor = prop.minor;
    gpu.multiprocessors = prop.multiProcessorCount;
    gpu.total_bytes = prop.totalGlobalMem;
    if (cudaSetDevice(i) == cudaSuccess) cudaMemGetInfo(&gpu.free_bytes, &gpu.total_bytes);
    status.gpus.push_back(gpu);
  }
  return status;
}

std::unique_ptr<Backend> make_cuda_backend(DeviceChoice device, const GpuDevice& gpu,
                                           const TrainConfig* train) {
  const cuda::CudaOptions options = cuda::options_from(train);
  spdlog::info("device {}: GPU {} {} (compute capability {}.{}), precision {}{}",
               choice_name(device), gpu.index, gpu.name, gpu.cc_major, gpu.cc_minor,
               cuda::precision_name(options.precision),
               options.deterministic ? ", deterministic" : "");
  return std::make_unique<cuda::CudaBackend>(options);
}

}  // namespace emnist
