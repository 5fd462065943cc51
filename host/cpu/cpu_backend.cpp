#include "cpu/cpu_backend.hpp"

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <string>

#include "cpu/cpu_simd.hpp"
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

CpuInfo cpu_info() {
  CpuInfo info;
  const dnnl_version_t* v = dnnl_version();
  info.library = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                 std::to_string(v->patch);
  info.threads = omp_get_max_threads();
  info.loops = cpu::simd_level_name(cpu::simd_level());
  using Isa = dnnl::cpu_isa;
  const Isa isa = dnnl::get_effective_cpu_isa();
  switch (isa) {
    case Isa::avx512_core_amx:
      info.isa = "AVX-512 with AMX";
      break;
    case Isa::avx512_core_bf16:
      info.isa = "AVX-512 with BF16";
      break;
    case Isa::avx512_core_vnni:
      info.isa = "AVX-512 with VNNI";
      break;
    case Isa::avx512_core:
      info.isa = "AVX-512";
      break;
    case Isa::avx2_vnni:
    case Isa::avx2:
      info.isa = "AVX2";
      break;
    case Isa::avx:
      info.isa = "AVX";
      break;
    case Isa::sse41:
      info.isa = "SSE4.1";
      break;
    default:
      info.isa = "other";
      break;
  }
  info.winograd = isa == Isa::avx512_core || isa == Isa::avx512_core_vnni ||
                  isa == Isa::avx512_core_bf16 || isa == Isa::avx512_core_amx;
  info.bf16_amx = isa == Isa::avx512_core_amx;
  return info;
}

}  // namespace emnist
