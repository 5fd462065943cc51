#pragma once
// Device allocations: cudaMalloc with an out-of-memory message a user can act on, and grow-only
// scratch for library workspaces, so that steady-state steps allocate nothing.
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "emnist/memory_tracker.hpp"

namespace emnist::cuda {

// cudaMalloc of `bytes` (nullptr for 0). Out of memory is a UserError saying what was asked for,
// for what, and how much the device has free.
void* device_malloc(size_t bytes, const char* purpose);
void device_free(void* ptr) noexcept;
// What device_malloc and device_free have done so far in this process.
MemoryStats device_memory_stats();

// A block that only ever grows: reserve() allocates only when a larger size is first asked for,
// so once every shape has been seen, no call allocates. A smaller block it replaces is kept until
// the Scratch dies: a CUDA graph captured earlier holds its address and may still replay.
class Scratch {
 public:
  explicit Scratch(const char* purpose) : purpose_(purpose) {}
  ~Scratch() {
    device_free(data_);
    for (void* block : retired_) device_free(block);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  void* reserve(size_t bytes, cudaStream_t stream);
  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const char* purpose_;
  void* data_ = nullptr;
  size_t size_ = 0;
  std::vector<void*> retired_;
};

}  // namespace emnist::cuda
