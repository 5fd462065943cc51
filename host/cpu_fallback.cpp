// The CPU backend as make_backend hands it out, in both builds.
#include <spdlog/spdlog.h>

#include <mutex>

#include "emnist/config.hpp"
#include "emnist/cuda_info.hpp"

namespace emnist {

std::unique_ptr<Backend> make_cpu_backend_for(const TrainConfig* train) {
  // tf32 and bf16 are tensor-core modes: the CPU computes in fp32 whatever the config says, and a
  // user comparing runs should know. Once per process: a sweep makes a backend per trial.
  if (train != nullptr && train->precision != "fp32") {
    static std::once_flag said;
    std::call_once(said, [&] {
      spdlog::warn(
          "train.precision = \"{}\" applies on a GPU only; the CPU backend computes in fp32",
          train->precision);
    });
  }
  return make_cpu_backend();
}

}  // namespace emnist
