#pragma once
// What the CUDA side of this build can offer, asked without ever failing: a binary must start and
// answer on a machine with no GPU and no driver at all.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/choices.hpp"

namespace emnist {

struct TrainConfig;  // config.hpp

struct GpuDevice {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int multiprocessors = 0;
  size_t total_bytes = 0, free_bytes = 0;
};

// CUDA's version numbers as people write them: 13000 -> "13.0".
inline std::string cuda_version_name(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

struct CudaStatus {
  bool compiled = false;    // this build has the CUDA backend
  int runtime_version = 0;  // e.g. 13000
  int driver_version = 0;   // 0 without a driver
  std::string cublas_version, cudnn_version;
  std::vector<GpuDevice> gpus;
  std::string no_gpu_reason;  // why gpus is empty
};

// What cuda/ exports (host/no_cuda.cpp in a CPU-only build): the question, and the CUDA backend
// on `gpu` (one query_cuda listed), computing as train.precision and train.deterministic say
// (fp32 and non-deterministic when train is null); `device` as asked, for the log line.
CudaStatus query_cuda();
std::unique_ptr<Backend> make_cuda_backend(DeviceChoice device, const GpuDevice& gpu,
                                           const TrainConfig* train);

// The one device policy (host/backend_choice.cpp): "auto" is CUDA when compiled and a GPU is
// visible, else the CPU (and says so); "cuda" without one is a UserError naming the reason.
std::unique_ptr<Backend> make_backend(DeviceChoice device, const TrainConfig* train = nullptr);
// The CPU backend; says once per process that a train.precision other than fp32 does not apply.
std::unique_ptr<Backend> make_cpu_backend_for(const TrainConfig* train);

}  // namespace emnist
