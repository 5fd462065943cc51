#include "emnist/memory_tracker.hpp"

#include <algorithm>

namespace emnist {

void MemoryTracker::allocated(const void* ptr, size_t bytes) {
  if (ptr == nullptr) return;
  const std::lock_guard lock(mutex_);
  sizes_[ptr] = bytes;
  stats_.in_use += bytes;
  stats_.peak = std::max(stats_.peak, stats_.in_use);
  ++stats_.allocations;
}

void MemoryTracker::released(const void* ptr) {
  if (ptr == nullptr) return;
  const std::lock_guard lock(mutex_);
  const auto it = sizes_.find(ptr);
  if (it == sizes_.end()) return;
  stats_.in_use -= it->second;
  sizes_.erase(it);
}

MemoryStats MemoryTracker::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace emnist
