#include "cpu/cpu_backend.hpp"

#include "cpu/onednn_conv.hpp"

namespace emnist {

namespace cpu {

CpuBackend::CpuBackend(CpuConvolution convolution)
    : conv_plans_(std::make_unique<OnednnConvPlans>(convolution)) {}
CpuBackend::~CpuBackend() = default;

}  // namespace cpu

std::unique_ptr<Backend> make_cpu_backend(CpuConvolution convolution) {
  return std::make_unique<cpu::CpuBackend>(convolution);
}

}  // namespace emnist
