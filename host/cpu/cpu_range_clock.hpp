#pragma once
// The CPU backend's profiler: its ops are done when they return, so the host clock between a
// range's push and pop is the range's time. Totals are kept per range name and depth while the
// profiler is on (`emnist bench --profile` prints them); off, a push costs one clock read.
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emnist/backend.hpp"

namespace emnist::cpu {

class RangeClock {
 public:
  void start() {
    on_ = true;
    times_.clear();
    index_.clear();
  }
  void stop() { on_ = false; }

  void push(const char* name) {
    size_t slot = kUntimed;
    if (on_) {
      const int depth = static_cast<int>(open_.size());
      const auto [it, added] =
          index_.try_emplace(std::to_string(depth) + ' ' + name, times_.size());
      if (added) times_.push_back(RangeTime{name, depth, 0, 0.0});
      slot = it->second;
    }
    open_.emplace_back(slot, Clock::now());
  }

  void pop() {
    if (open_.empty()) return;
    const auto [slot, begin] = open_.back();
    open_.pop_back();
    if (slot == kUntimed || !on_) return;
    times_[slot].count += 1;
    times_[slot].seconds += std::chrono::duration<double>(Clock::now() - begin).count();
  }

  // In the order the ranges were first entered.
  const std::vector<RangeTime>& times() const { return times_; }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kUntimed = static_cast<size_t>(-1);
  bool on_ = false;
  std::vector<std::pair<size_t, Clock::time_point>> open_;  // slot, start; a slot per open range
  std::vector<RangeTime> times_;
  std::unordered_map<std::string, size_t> index_;  // "depth name" -> slot in times_
};

}  // namespace emnist::cpu
