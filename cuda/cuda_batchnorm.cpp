// Batch normalisation over [N, C] or [N, C, H, W], statistics per channel: the CPU backend's shape
// checks, then one kernel per op (see kernels/batchnorm.cu). An activation that follows batch norm
// (BatchNormParams::activate) runs as its own kernel in place, dropout inside batch norm as its own
// kernel from the activated output it keeps, and the backward through all three is the Backend's
// default composition: not yet fused on the GPU.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {
void CudaBackend::batchnorm_forward_train(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                          Tensor running_var, Tensor y, Tensor save_mean,
                                          Tensor save_invstd, BatchNormParams p) {
  const char* op = "batchnorm_forward_train";
  const OpRange range{op};
  const checks::BatchNormDims s = checks::batchnorm_forward_train(
      Device::cuda, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd);
  checks::batchnorm_params(Device::cuda, op, p);
  checks::batchnorm_dropout(Device::cuda, op, p, y);
  const BatchNormDropout& drop = p.dropout;
  // With dropout, the activation's output is kept for its backward (see batchnorm_backward's
  // default composition), and dropout writes y from it.
  const Tensor activated = drop.p > 0.0f ? drop.activated : y;
  kernels::batchnorm_forward_train(
      x.data, gamma.data, beta.data, running_mean.data, running_var.data, activated.data,
      save_mean.data, save_invstd.data, s.n, s.c, s.s, p.momentum, p.eps, stream_.get());
  if (p.activate) activation_forward(p.activation, activated, activated);
  if (drop.p > 0.0f) dropout_forward(activated, y, drop.p, drop.seed, drop.layer, drop.scalars);
}

void CudaBackend::batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                          Tensor running_var, Tensor y, BatchNormParams p) {
  const char* op = "batchnorm_forward_infer";
  const OpRange range{op};
  const checks::BatchNormDims s =
      checks::batchnorm_forward_infer(Device::cuda, x, gamma, beta, running_mean, running_var, y);
  checks::batchnorm_params(Device::cuda, op, p);
  kernels::batchnorm_forward_infer(x.data, gamma.data, beta.data, running_mean.data,
                                   running_var.data, y.data, s.n, s.c, s.s, p.eps, stream_.get());
  if (p.activate) activation_forward(p.activation, y, y);
}

void CudaBackend::batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean,
                                     Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta) {
  const char* op = "batchnorm_backward";
  const OpRange range{op};
  const checks::BatchNormDims s = checks::batchnorm_backward(Device::cuda, x, dy, gamma, save_mean,
                                                             save_invstd, dx, dgamma, dbeta);
  kernels::batchnorm_backward(x.data, dy.data, gamma.data, save_mean.data, save_invstd.data,
                              dx.empty() ? nullptr : dx.data,
                              dgamma.empty() ? nullptr : dgamma.data,
                              dbeta.empty() ? nullptr : dbeta.data, s.n, s.c, s.s, stream_.get());
}

}  // namespace emnist::cuda
