// Max-pooling 2x2, stride 2: the shape checks of the CPU backend, then one kernel per direction.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) {
  const char* op = "maxpool2d_forward";
  const OpRange range{op};
  require_tensor(x, 4, op, "x");
  require_tensor(y, 4, op, "y");
  require(argmax != nullptr, op, "argmax is null");
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  require(y.dim(0) == x.dim(0) && y.dim(1) == x.dim(1) && y.dim(2) == h / 2 && y.dim(3) == w / 2,
          op, "y must be [N, C, H/2, W/2]");
  kernels::maxpool2x2_forward(x.data, y.data, argmax, planes, h, w, stream_.get());
}

void CudaBackend::maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) {
  const char* op = "maxpool2d_backward";
  const OpRange range{op};
  require_tensor(dy, 4, op, "dy");
  require_tensor(dx, 4, op, "dx");
  require(argmax != nullptr, op, "argmax is null");
  const int64_t planes = dx.dim(0) * dx.dim(1), h = dx.dim(2), w = dx.dim(3);
  require(
      dy.dim(0) == dx.dim(0) && dy.dim(1) == dx.dim(1) && dy.dim(2) == h / 2 && dy.dim(3) == w / 2,
      op, "dy must be [N, C, H/2, W/2] of dx's [N, C, H, W]");
  kernels::maxpool2x2_backward(dy.data, argmax, dx.data, planes, h, w, stream_.get());
}

}  // namespace emnist::cuda
