#include "device_memory.hpp"

#include <fmt/format.h>

#include "cuda_check.hpp"
#include "emnist/error.hpp"

namespace emnist::cuda {
namespace {

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

MemoryTracker& tracker() {
  static MemoryTracker t;
  return t;
}

}  // namespace

void* device_malloc(size_t bytes, const char* purpose) {
  if (bytes == 0) return nullptr;
  void* ptr = nullptr;
  const cudaError_t err = cudaMalloc(&ptr, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky, but clear it so the next check starts clean
    size_t free_bytes = 0, total_bytes = 0;
    const bool known = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
    throw UserError(fmt::format(
        "CUDA out of memory: {} asked for {:.1f} MiB, and the GPU has {} free of {}; lower "
        "train.batch_size or use a smaller model",
        purpose, mib(bytes),
        known ? fmt::format("{:.1f} MiB", mib(free_bytes)) : "an unknown amount",
        known ? fmt::format("{:.1f} MiB", mib(total_bytes)) : "?"));
  }
  EMNIST_CUDA_CHECK(err);
  tracker().allocated(ptr, bytes);
  return ptr;
}

void device_free(void* ptr) noexcept {
  if (ptr == nullptr) return;
  tracker().released(ptr);
  static_cast<void>(cudaFree(ptr));
}

MemoryStats device_memory_stats() { return tracker().stats(); }

void* Scratch::reserve(size_t bytes, cudaStream_t /*stream*/) {
  if (bytes <= size_) return data_;
  // Neither queued work nor a captured graph may lose the old block: it stays allocated.
  void* grown = device_malloc(bytes, purpose_);
  if (data_ != nullptr) retired_.push_back(data_);
  data_ = grown;
  size_ = bytes;
  return data_;
}

}  // namespace emnist::cuda
