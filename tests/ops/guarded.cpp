#include "ops/guarded.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <type_traits>

namespace emnist::test {

template <typename T>
Guarded<T>::Guarded(Backend& backend, size_t count, size_t misalign)
    : backend_(backend), count_(count), front_bytes_(kGuardBytes + misalign * sizeof(T)) {
  const size_t total = front_bytes_ + count_ * sizeof(T) + kGuardBytes;
  block_ = static_cast<unsigned char*>(backend_.allocate(total));
  data_ = reinterpret_cast<T*>(block_ + front_bytes_);
  const std::vector<unsigned char> guard(front_bytes_, kSentinel);
  backend_.copy_from_host(block_, guard.data(), front_bytes_);
  backend_.copy_from_host(block_ + front_bytes_ + count_ * sizeof(T), guard.data(), kGuardBytes);
  std::vector<T> poison(count_);
  if constexpr (std::is_floating_point_v<T>) {
    std::fill(poison.begin(), poison.end(), std::numeric_limits<T>::quiet_NaN());
  } else {
    std::fill(poison.begin(), poison.end(), static_cast<T>(-1));  // all bits set
  }
  upload(poison);
}

template <typename T>
Guarded<T>::Guarded(Backend& backend, const std::vector<T>& values, size_t misalign)
    : Guarded(backend, values.size(), misalign) {
  upload(values);
}

template <typename T>
Guarded<T>::~Guarded() {
  backend_.release(block_);
}

template <typename T>
Tensor Guarded<T>::tensor(std::initializer_list<int64_t> dims) const {
  if constexpr (std::is_same_v<T, float>) {
    Tensor t(data_, dims, backend_.device());
    REQUIRE(static_cast<size_t>(t.numel()) == count_);
    return t;
  } else {
    FAIL("tensor views are float only");
    return Tensor{};
  }
}

template <typename T>
void Guarded<T>::upload(const std::vector<T>& values) {
  REQUIRE(values.size() == count_);
  backend_.copy_from_host(data_, values.data(), sizeof(T) * count_);
}

template <typename T>
std::vector<T> Guarded<T>::read() const {
  std::vector<T> out(count_);
  backend_.copy_to_host(out.data(), data_, sizeof(T) * count_);
  return out;
}

template <typename T>
void Guarded<T>::check_guards(const std::string& what) const {
  std::vector<unsigned char> front(front_bytes_), back(kGuardBytes);
  backend_.copy_to_host(front.data(), block_, front_bytes_);
  backend_.copy_to_host(back.data(), block_ + front_bytes_ + count_ * sizeof(T), kGuardBytes);
  size_t bad_front = 0, bad_back = 0;
  for (unsigned char b : front) bad_front += b != kSentinel;
  for (unsigned char b : back) bad_back += b != kSentinel;
  INFO(what << ": bytes overwritten before the buffer: " << bad_front << ", after: " << bad_back);
  REQUIRE(bad_front == 0);
  REQUIRE(bad_back == 0);
}

template class Guarded<float>;
template class Guarded<int32_t>;
template class Guarded<int64_t>;
template class Guarded<double>;
template class Guarded<uint8_t>;

}  // namespace emnist::test
