#pragma once
// A non-owning view of float memory on one device. Memory belongs to arenas (host or device) that
// are sized once, so views are cheap to copy and never free anything.
#include <array>
#include <cstdint>
#include <initializer_list>

namespace emnist {

enum class Device { cpu, cuda };
enum class DType { f32 };

struct Tensor {
  float* data = nullptr;
  std::array<int64_t, 4> shape{};
  int rank = 0;
  Device device = Device::cpu;
  DType dtype = DType::f32;

  Tensor() = default;
  Tensor(float* data_, std::initializer_list<int64_t> dims, Device device_ = Device::cpu)
      : data(data_), device(device_) {
    for (int64_t d : dims) shape[static_cast<size_t>(rank++)] = d;
  }

  int64_t dim(int i) const { return shape[static_cast<size_t>(i)]; }
  int64_t numel() const {
    int64_t n = rank == 0 ? 0 : 1;
    for (int i = 0; i < rank; ++i) n *= shape[static_cast<size_t>(i)];
    return n;
  }
  bool empty() const { return data == nullptr; }
  // Elements per sample: everything after the batch dimension.
  int64_t per_sample() const { return rank <= 1 ? 1 : numel() / shape[0]; }
};

}  // namespace emnist
