#include "cpu/cpu_backend.hpp"

#include "cpu/cpu_gemm.hpp"

namespace emnist {

namespace cpu {

CpuBackend::CpuBackend() { use_single_threaded_blas(); }

}  // namespace cpu

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<cpu::CpuBackend>(); }

}  // namespace emnist
