#include "cpu/cpu_backend.hpp"

#include "cpu/onednn_conv.hpp"

namespace emnist {

namespace cpu {

CpuBackend::CpuBackend() : conv_plans_(std::make_unique<OnednnConvPlans>()) {}
CpuBackend::~CpuBackend() = default;

}  // namespace cpu

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<cpu::CpuBackend>(); }

}  // namespace emnist
