#pragma once
// A backend's memory for `count` elements of T between two guard regions, for the op tests.
//
// The guard regions hold a sentinel byte pattern that must be unchanged afterwards: a stray write
// past either end fails the test. A buffer made without values is poisoned (NaN for floats, all
// bits set for integers), so an element an op forgets to write fails the comparison. `misalign`
// shifts the data by that many elements from the (256-byte aligned) end of the front guard, for the
// code paths of pointers that are only element-aligned (views into flat parameter buffers).
//
// Only Backend's own allocate and copies are used: on the CPU backend the guards are host memory,
// on the CUDA backend device memory.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "emnist/backend.hpp"

namespace emnist::test {

template <typename T>
class Guarded {
 public:
  // Poisoned.
  Guarded(Backend& backend, size_t count, size_t misalign = 0);
  // Holding these values.
  Guarded(Backend& backend, const std::vector<T>& values, size_t misalign = 0);
  ~Guarded();
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  T* data() const { return data_; }
  size_t size() const { return count_; }
  Tensor tensor(std::initializer_list<int64_t> dims) const;  // T = float only
  void upload(const std::vector<T>& values);
  std::vector<T> read() const;
  // REQUIREs that both guard regions still hold the sentinel.
  void check_guards(const std::string& what) const;

 private:
  static constexpr size_t kGuardBytes = 1024;
  static constexpr unsigned char kSentinel = 0xA5;

  Backend& backend_;
  size_t count_;
  size_t front_bytes_;  // guard plus misalignment
  unsigned char* block_ = nullptr;
  T* data_ = nullptr;
};

extern template class Guarded<float>;
extern template class Guarded<int32_t>;
extern template class Guarded<int64_t>;
extern template class Guarded<double>;
extern template class Guarded<uint8_t>;

}  // namespace emnist::test
