// Batch normalisation with statistics per channel over N (and H, W). One block per channel: it sums
// the channel in double (fixed order, see channel_reduce.cuh), thread 0 turns the sums into the
// channel's coefficients exactly as the CPU backend does (same double formulas, same float
// roundings), and the block then writes the channel's outputs.
//
// The per-element formulas use explicitly rounded operations (__fmul_rn and friends), which the
// compiler never fuses into an FMA: the CPU (x86-64 baseline, no FMA) rounds every product and sum,
// so this is what makes an element differ from the CPU's only where a statistic does.
#include "cuda_check.hpp"
#include "kernels/channel_reduce.cuh"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

// (x - mean) * scale + shift, rounded after each operation.
__device__ __forceinline__ float affine(float x, float mean, float scale, float shift) {
  return __fadd_rn(__fmul_rn(__fsub_rn(x, mean), scale), shift);
}

__global__ void __launch_bounds__(kChannelThreads)
    forward_train_kernel(const float* x, const float* gamma, const float* beta, float* running_mean,
                         float* running_var, float* y, float* save_mean, float* save_invstd,
                         ChannelLayout layout, float momentum_f, float eps) {
  __shared__ ChannelReduce::TempStorage temp;
  __shared__ float coef[3];  // mean, scale, shift
  const int64_t channel = blockIdx.x;
  const int64_t count = layout.count();

  DoublePair partial{0.0, 0.0};
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const double v = static_cast<double>(x[layout.offset(channel, i)]);
    partial.a += v;
    partial.b += v * v;
  }
  const DoublePair sums = ChannelReduce(temp).Reduce(partial, AddPair{});

  if (threadIdx.x == 0) {
    const double m = static_cast<double>(count);
    const double momentum = momentum_f;
    const double mean = __ddiv_rn(sums.a, m);
    const double var = fmax(__dsub_rn(__ddiv_rn(sums.b, m), __dmul_rn(mean, mean)), 0.0);
    const double invstd = __ddiv_rn(1.0, sqrt(__dadd_rn(var, static_cast<double>(eps))));
    const float mean_f = static_cast<float>(mean);
    const float invstd_f = static_cast<float>(invstd);
    save_mean[channel] = mean_f;
    save_invstd[channel] = invstd_f;
    const double keep = 1.0 - momentum;
    running_mean[channel] = static_cast<float>(__dadd_rn(
        __dmul_rn(keep, static_cast<double>(running_mean[channel])), __dmul_rn(momentum, mean)));
    // momentum * var * m / (m - 1): the unbiased variance, PyTorch's running statistic.
    running_var[channel] =
        static_cast<float>(__dadd_rn(__dmul_rn(keep, static_cast<double>(running_var[channel])),
                                     __ddiv_rn(__dmul_rn(__dmul_rn(momentum, var), m), m - 1.0)));
    coef[0] = mean_f;
    coef[1] = __fmul_rn(gamma[channel], invstd_f);
    coef[2] = beta[channel];
  }
  __syncthreads();

  const float mean = coef[0], scale = coef[1], shift = coef[2];
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t at = layout.offset(channel, i);
    y[at] = affine(x[at], mean, scale, shift);
  }
}

__global__ void forward_infer_kernel(const float* x, const float* gamma, const float* beta,
                                     const float* running_mean, const float* running_var, float* y,
                                     int64_t total, int64_t c, int64_t s, float eps) {
  for (int64_t i = global_thread(); i < total; i += grid_stride()) {
    const int64_t channel = (i / s) % c;
    // Recomputed per element (cheap next to the memory traffic) rather than in a second kernel.
    const double invstd = __ddiv_rn(
        1.0, sqrt(__dadd_rn(static_cast<double>(running_var[channel]), static_cast<double>(eps))));
    const float scale = __fmul_rn(gamma[channel], static_cast<float>(invstd));
    y[i] = affine(x[i], running_mean[channel], scale, beta[channel]);
  }
}

// With xhat = (x - mean) * invstd and M values per channel:
//   dbeta = sum dy,  dgamma = sum dy * xhat,
//   dx = gamma * invstd * (dy - dbeta / M - xhat * dgamma / M).
__global__ void __launch_bounds__(kChannelThreads)
    backward_kernel(const float* x, const float* dy, const float* gamma, const float* save_mean,
                    const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                    ChannelLayout layout) {
  __shared__ ChannelReduce::TempStorage temp;
  __shared__ float coef[3];  // gamma * invstd, dbeta / M, dgamma / M
  const int64_t channel = blockIdx.x;
  const int64_t count = layout.count();
  const float mean = save_mean[channel];
  const float invstd = save_invstd[channel];

  DoublePair partial{0.0, 0.0};  // sum dy, sum dy * (x - mean)
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t at = layout.offset(channel, i);
    const double g = static_cast<double>(dy[at]);
    partial.a += g;
    partial.b += g * (static_cast<double>(x[at]) - static_cast<double>(mean));
  }
  const DoublePair sums = ChannelReduce(temp).Reduce(partial, AddPair{});

  if (threadIdx.x == 0) {
    const double m = static_cast<double>(count);
    const double dg = __dmul_rn(sums.b, static_cast<double>(invstd));
    if (dbeta != nullptr) dbeta[channel] = static_cast<float>(sums.a);
    if (dgamma != nullptr) dgamma[channel] = static_cast<float>(dg);
    coef[0] = __fmul_rn(gamma[channel], invstd);
    coef[1] = static_cast<float>(__ddiv_rn(sums.a, m));
    coef[2] = static_cast<float>(__ddiv_rn(dg, m));
  }
  if (dx == nullptr) return;  // uniform across the block: no thread is left at the barrier
  __syncthreads();

  const float k = coef[0], mean_dy = coef[1], mean_dy_xhat = coef[2];
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t at = layout.offset(channel, i);
    const float xhat = __fmul_rn(__fsub_rn(x[at], mean), invstd);
    dx[at] = __fmul_rn(k, __fsub_rn(__fsub_rn(dy[at], mean_dy), __fmul_rn(xhat, mean_dy_xhat)));
  }
}

}  // namespace

void batchnorm_forward_train(const float* x, const float* gamma, const float* beta,
                             float* running_mean, float* running_var, float* y, float* save_mean,
                             float* save_invstd, int64_t n, int64_t c, int64_t s, float momentum,
                             float eps, cudaStream_t stream) {
  if (c <= 0) return;
  forward_train_kernel<<<static_cast<unsigned>(c), kChannelThreads, 0, stream>>>(
      x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd, ChannelLayout{n, c, s},
      momentum, eps);
  EMNIST_LAUNCH_CHECK();
}

void batchnorm_forward_infer(const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float* y,
                             int64_t n, int64_t c, int64_t s, float eps, cudaStream_t stream) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  forward_infer_kernel<<<grid_for(total), kBlock, 0, stream>>>(x, gamma, beta, running_mean,
                                                               running_var, y, total, c, s, eps);
  EMNIST_LAUNCH_CHECK();
}

void batchnorm_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                        const float* save_invstd, float* dx, float* dgamma, float* dbeta, int64_t n,
                        int64_t c, int64_t s, cudaStream_t stream) {
  if (c <= 0) return;
  backward_kernel<<<static_cast<unsigned>(c), kChannelThreads, 0, stream>>>(
      x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta, ChannelLayout{n, c, s});
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
