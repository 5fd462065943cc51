#pragma once
// Owners of the backend's overlap resources (Backend: "overlap"): page-locked host memory and
// events. Each is released exactly once, by the backend that made it. Movable, not copyable.
#include <cstddef>
#include <utility>

#include "emnist/backend.hpp"

namespace emnist {

class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(Backend& backend, size_t bytes)
      : backend_(&backend), data_(backend.host_allocate(bytes)), bytes_(bytes) {}
  ~HostBuffer() { reset(); }
  HostBuffer(HostBuffer&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)),
        data_(std::exchange(other.data_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)) {}
  HostBuffer& operator=(HostBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      backend_ = std::exchange(other.backend_, nullptr);
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  size_t bytes() const { return bytes_; }
  template <typename T>
  T* at(size_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(data_) + offset);
  }

 private:
  void reset() noexcept {
    if (data_ != nullptr) backend_->host_release(data_);
    data_ = nullptr;
  }
  Backend* backend_ = nullptr;
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class Event {
 public:
  Event() = default;
  explicit Event(Backend& backend) : backend_(&backend), event_(backend.event_create()) {}
  ~Event() { reset(); }
  Event(Event&& other) noexcept
      : backend_(std::exchange(other.backend_, nullptr)),
        event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept {
    if (this != &other) {
      reset();
      backend_ = std::exchange(other.backend_, nullptr);
      event_ = std::exchange(other.event_, nullptr);
    }
    return *this;
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record(Queue queue) { backend_->event_record(event_, queue); }
  void make_wait(Queue queue) { backend_->queue_wait(queue, event_); }  // queue waits for this
  bool done() const { return backend_->event_done(event_); }
  void wait() const { backend_->event_wait(event_); }

 private:
  void reset() noexcept {
    if (event_ != nullptr) backend_->event_destroy(event_);
    event_ = nullptr;
  }
  Backend* backend_ = nullptr;
  void* event_ = nullptr;
};

}  // namespace emnist
