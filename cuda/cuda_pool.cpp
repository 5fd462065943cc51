// Max-pooling 2x2, stride 2, and global average pooling: the shape checks of the CPU backend, then
// one kernel per direction.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) {
  const char* op = "maxpool2d_forward";
  const OpRange range{op};
  const auto [planes, h, w] = checks::maxpool2d_forward(Device::cuda, x, y, argmax);
  kernels::maxpool2x2_forward(x.data, y.data, argmax, planes, h, w, stream_.get());
}

void CudaBackend::maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) {
  const char* op = "maxpool2d_backward";
  const OpRange range{op};
  const auto [planes, h, w] = checks::maxpool2d_backward(Device::cuda, dy, argmax, dx);
  kernels::maxpool2x2_backward(dy.data, argmax, dx.data, planes, h, w, stream_.get());
}

void CudaBackend::global_avgpool_forward(Tensor x, Tensor y) {
  const char* op = "global_avgpool_forward";
  const OpRange range{op};
  const auto [planes, h, w] = checks::global_avgpool_forward(Device::cuda, x, y);
  kernels::global_avgpool_forward(x.data, y.data, planes, h * w, stream_.get());
}

void CudaBackend::global_avgpool_backward(Tensor dy, Tensor dx) {
  const char* op = "global_avgpool_backward";
  const OpRange range{op};
  const auto [planes, h, w] = checks::global_avgpool_backward(Device::cuda, dy, dx);
  kernels::global_avgpool_backward(dy.data, dx.data, planes, h * w, stream_.get());
}

}  // namespace emnist::cuda
