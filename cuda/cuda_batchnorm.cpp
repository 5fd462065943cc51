// Batch normalisation over [N, C] or [N, C, H, W], statistics per channel: the CPU backend's shape
// checks, then one kernel per op (see kernels/batchnorm.cu).
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {
namespace {

struct BnShape {
  int64_t n, c, s;  // s: spatial positions per channel and sample (1 for [N, C])
};

BnShape bn_shape(const Tensor& x, const char* op) {
  require_tensor(x, -1, op, "x");
  require(x.rank == 2 || x.rank == 4, op, "x must be [N, C] or [N, C, H, W]");
  return BnShape{x.dim(0), x.dim(1), x.rank == 4 ? x.dim(2) * x.dim(3) : 1};
}

}  // namespace

void CudaBackend::batchnorm_forward_train(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                          Tensor running_var, Tensor y, Tensor save_mean,
                                          Tensor save_invstd, BatchNormParams p) {
  const char* op = "batchnorm_forward_train";
  const OpRange range{op};
  const BnShape s = bn_shape(x, op);
  require_tensor(y, x.rank, op, "y");
  require_same_shape(x, y, op, "x and y");
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var, &save_mean, &save_invstd})
    require_vector(*t, s.c, op, "gamma, beta, running and saved statistics");
  // PyTorch refuses this too: the unbiased variance of one value is undefined.
  require(s.n * s.s > 1, op, "training needs more than one value per channel");
  kernels::batchnorm_forward_train(x.data, gamma.data, beta.data, running_mean.data,
                                   running_var.data, y.data, save_mean.data, save_invstd.data, s.n,
                                   s.c, s.s, p.momentum, p.eps, stream_.get());
}

void CudaBackend::batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                          Tensor running_var, Tensor y, BatchNormParams p) {
  const char* op = "batchnorm_forward_infer";
  const OpRange range{op};
  const BnShape s = bn_shape(x, op);
  require_tensor(y, x.rank, op, "y");
  require_same_shape(x, y, op, "x and y");
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var})
    require_vector(*t, s.c, op, "gamma, beta and running statistics");
  kernels::batchnorm_forward_infer(x.data, gamma.data, beta.data, running_mean.data,
                                   running_var.data, y.data, s.n, s.c, s.s, p.eps, stream_.get());
}

void CudaBackend::batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean,
                                     Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta) {
  const char* op = "batchnorm_backward";
  const OpRange range{op};
  const BnShape s = bn_shape(x, op);
  require_tensor(dy, x.rank, op, "dy");
  require_same_shape(x, dy, op, "x and dy");
  for (const Tensor* t : {&gamma, &save_mean, &save_invstd})
    require_vector(*t, s.c, op, "gamma and saved statistics");
  if (!dx.empty()) {
    require_tensor(dx, x.rank, op, "dx");
    require_same_shape(x, dx, op, "x and dx");
  }
  if (!dgamma.empty()) require_vector(dgamma, s.c, op, "dgamma");
  if (!dbeta.empty()) require_vector(dbeta, s.c, op, "dbeta");
  kernels::batchnorm_backward(x.data, dy.data, gamma.data, save_mean.data, save_invstd.data,
                              dx.empty() ? nullptr : dx.data,
                              dgamma.empty() ? nullptr : dgamma.data,
                              dbeta.empty() ? nullptr : dbeta.data, s.n, s.c, s.s, stream_.get());
}

}  // namespace emnist::cuda
