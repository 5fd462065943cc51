#pragma once
// A non-owning view of float memory on one device. Memory belongs to arenas (host or device) that
// are sized once, so views are cheap to copy and never free anything.
#include <array>
#include <cstdint>
#include <initializer_list>

namespace emnist {

enum class Device { cpu, cuda };
enum class DType { f32 };
// How an [N, C, H, W] tensor's elements lie in memory. plain: row-major, as its shape reads.
// nchw16c: the channels in blocks of 16, each block's H x W positions holding 16 consecutive
// channels side by side (element (n, c, h, w) at ((n * C/16 + c/16) * H * W + h * W + w) * 16 +
// c % 16), oneDNN's nChw16c: the CPU's convolution kernels read and write it on AVX-512, so
// activations kept in it between layers skip a reorder into it and one out of it per convolution
// and direction. CPU only, C a multiple of 16; the ops that take it say so (backend.hpp).
enum class Layout { plain, nchw16c };

struct Tensor {
  float* data = nullptr;
  std::array<int64_t, 4> shape{};
  int rank = 0;
  Device device = Device::cpu;
  DType dtype = DType::f32;
  Layout layout = Layout::plain;

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
