// Max-pooling 2x2, stride 2: the shape checks of the CPU backend, then one kernel per direction.
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

}  // namespace emnist::cuda
