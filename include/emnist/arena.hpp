#pragma once
// Backend memory that is allocated once and carved into views: a step must never allocate, so
// every buffer a model or trainer needs is planned up front and taken from one block.
#include <cstddef>
#include <cstdint>

#include "emnist/backend.hpp"

namespace emnist {

// Owns one backend allocation; released when it dies. Movable, not copyable.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend& backend, size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  size_t bytes() const { return bytes_; }
  void* data() const { return data_; }
  template <typename T>
  T* at(size_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(data_) + offset);
  }

 private:
  Backend* backend_ = nullptr;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Offsets within a block, each aligned so that any element type (and vector loads) can use it.
class ArenaPlan {
 public:
  static constexpr size_t kAlignment = 256;
  size_t add(size_t bytes) {
    const size_t offset = total_;
    total_ += (bytes + kAlignment - 1) / kAlignment * kAlignment;
    return offset;
  }
  template <typename T>
  size_t add_array(int64_t count) {
    return add(sizeof(T) * static_cast<size_t>(count));
  }
  size_t total() const { return total_ == 0 ? kAlignment : total_; }

 private:
  size_t total_ = 0;
};

}  // namespace emnist
