// Batch normalisation over [N, C] or [N, C, H, W], statistics per channel: the CPU backend's shape
// checks, then kernels/batchnorm.cu's two kernels per op (chunk sums, then outputs), sized for this
// GPU's multiprocessors. The activation that follows batch norm (BatchNormParams::activate) is
// applied in the second forward kernel (after adding BatchNormParams::residual, where given) and
// differentiated inside the backward's two; dropout inside batch norm stays a kernel of its own
// (forward from the activated output it keeps, backward before batch norm's).
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
  checks::batchnorm_params(Device::cuda, op, p, x);
  checks::batchnorm_dropout(Device::cuda, op, p, y);
  const BatchNormDropout& drop = p.dropout;
  // With dropout, the activation's output is kept for its backward, and dropout writes y from it.
  const Tensor activated = drop.p > 0.0f ? drop.activated : y;
  const auto [split, scratch] = channel_split(op, s.n, s.c, s.s);
  kernels::batchnorm_forward_train(x.data, p.residual.data, gamma.data, beta.data,
                                   running_mean.data, running_var.data, activated.data,
                                   save_mean.data, save_invstd.data, split, p.momentum, p.eps,
                                   p.activate ? &p.activation : nullptr, scratch, stream_.get());
  if (drop.p > 0.0f) dropout_forward(activated, y, drop.p, drop.seed, drop.layer, drop.scalars);
}

void CudaBackend::batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                          Tensor running_var, Tensor y, BatchNormParams p) {
  const char* op = "batchnorm_forward_infer";
  const OpRange range{op};
  const checks::BatchNormDims s =
      checks::batchnorm_forward_infer(Device::cuda, x, gamma, beta, running_mean, running_var, y);
  checks::batchnorm_params(Device::cuda, op, p, x);
  kernels::batchnorm_forward_infer(x.data, p.residual.data, gamma.data, beta.data,
                                   running_mean.data, running_var.data, y.data, s.n, s.c, s.s,
                                   p.eps, p.activate ? &p.activation : nullptr, stream_.get());
}

void CudaBackend::batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean,
                                     Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta) {
  const char* op = "batchnorm_backward";
  const OpRange range{op};
  const checks::BatchNormDims s = checks::batchnorm_backward(Device::cuda, x, dy, gamma, save_mean,
                                                             save_invstd, dx, dgamma, dbeta);
  const auto [split, scratch] = channel_split(op, s.n, s.c, s.s);
  kernels::batchnorm_backward(
      x.data, nullptr, dy.data, gamma.data, save_mean.data, save_invstd.data,
      dx.empty() ? nullptr : dx.data, dgamma.empty() ? nullptr : dgamma.data,
      dbeta.empty() ? nullptr : dbeta.data, split, nullptr, scratch, stream_.get());
}

void CudaBackend::batchnorm_activation_backward(Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                                Tensor beta, Tensor save_mean, Tensor save_invstd,
                                                Tensor dx, Tensor dgamma, Tensor dbeta,
                                                BatchNormParams p) {
  const char* op = "batchnorm_activation_backward";
  const OpRange range{op};
  const checks::BatchNormDims s = checks::batchnorm_activation_backward(
      Device::cuda, x, y, dy, gamma, beta, save_mean, save_invstd, dx, dgamma, dbeta, p);
  const BatchNormDropout& drop = p.dropout;
  Tensor gradient = dy;  // at the activation's output
  if (drop.p > 0.0f) {
    checks::OpCheck(Device::cuda, op)
        .require(!dx.empty(), "with dropout this backend needs dx to hold dropout's gradient");
    dropout_backward(dy, dx, drop.p, drop.seed, drop.layer, drop.scalars);
    gradient = dx;
  }
  const auto [split, scratch] = channel_split(op, s.n, s.c, s.s);
  kernels::batchnorm_backward(
      x.data, y.data, gradient.data, gamma.data, save_mean.data, save_invstd.data,
      dx.empty() ? nullptr : dx.data, dgamma.empty() ? nullptr : dgamma.data,
      dbeta.empty() ? nullptr : dbeta.data, split, &p.activation, scratch, stream_.get());
}

}  // namespace emnist::cuda
