// Host memory: the CPU backend's "device" memory is ordinary aligned heap memory.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// A cache line, and the widest vector register (AVX-512): aligned rows load without splits.
constexpr size_t kAlignment = 64;

}  // namespace

void* CpuBackend::allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  // aligned_alloc wants a multiple of the alignment.
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  if (ptr == nullptr) throw std::bad_alloc();
  memory_.allocated(ptr, rounded);
  return ptr;
}

// MemAvailable: what the kernel can give without swapping; else all of RAM.
size_t CpuBackend::available_memory() const {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    size_t kib = 0;
    std::string unit;
    meminfo >> kib >> unit;
    if (key == "MemAvailable:") return kib * 1024;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : SIZE_MAX;
}

void CpuBackend::release(void* ptr) {
  memory_.released(ptr);
  std::free(ptr);
}

void* CpuBackend::host_allocate(size_t bytes) {
  // Host staging is not the backend's memory: it stays out of memory_stats.
  if (bytes == 0) return nullptr;
  void* ptr = std::aligned_alloc(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  if (ptr == nullptr) throw std::bad_alloc();
  return ptr;
}

void CpuBackend::host_release(void* ptr) { std::free(ptr); }

void CpuBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (bytes != 0) std::memmove(dst, src, bytes);
}

void CpuBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes != 0) std::memmove(dst, src, bytes);
}

void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes != 0) std::memmove(dst, src, bytes);
}

void CpuBackend::fill(Tensor t, float value) {
  if (t.empty()) return;
  checks::fill(Device::cpu, t);
  float* data = t.data;
  const int64_t n = t.numel();
#pragma omp parallel for simd schedule(static) if (worth_parallel(n))
  for (int64_t i = 0; i < n; ++i) data[i] = value;
}

void CpuBackend::zero(void* ptr, size_t bytes) {
  if (bytes != 0) std::memset(ptr, 0, bytes);
}

}  // namespace emnist::cpu
