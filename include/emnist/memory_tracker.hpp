#pragma once
// Counts a backend's own allocations: bytes in use, the peak, and how many allocations were made,
// so that benchmarks report the engine's memory and tests can show a step allocates nothing.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace emnist {

struct MemoryStats {
  size_t in_use = 0;        // bytes
  size_t peak = 0;          // bytes, the most in use at once
  int64_t allocations = 0;  // allocations made so far
};

class MemoryTracker {
 public:
  void allocated(const void* ptr, size_t bytes);
  void released(const void* ptr);  // of a pointer allocated() saw; others are ignored
  MemoryStats stats() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const void*, size_t> sizes_;
  MemoryStats stats_;
};

}  // namespace emnist
