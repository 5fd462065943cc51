// Batch normalisation with statistics per channel over N (and H, W), in two kernels over the same
// grid, so that a channel's work spreads over several blocks (a network's first layers have few
// channels with many elements each: a block per channel would leave most of a GPU idle):
//   1. sums: each block sums its chunk of a channel in double (fixed order, see channel_reduce.cuh)
//      and writes the pair to scratch;
//   2. apply: each block adds its channel's chunk sums in chunk order, so every block of a channel
//      holds the same totals to the bit; thread 0 turns them into the channel's coefficients
//      exactly as the CPU backend does (same double formulas, same float roundings); the channel's
//      first block writes the statistics (or dgamma, dbeta), and every block writes its chunk's
//      outputs.
// The activation that follows batch norm is applied where the output is written (after a residual
// block's shortcut is added, where there is one), and its gradient taken where the output gradient
// is read, with the same functors as the activation kernels.
//
// The per-element formulas use explicitly rounded operations (__fmul_rn and friends), which the
// compiler never fuses into an FMA: the CPU (x86-64 baseline, no FMA) rounds every product and sum,
// so this is what makes an element differ from the CPU's only where a statistic does.
#include "cuda_check.hpp"
#include "kernels/activation_functors.cuh"
#include "kernels/channel_reduce.cuh"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

// (x - mean) * scale + shift, rounded after each operation.
__device__ __forceinline__ float affine(float x, float mean, float scale, float shift) {
  return __fadd_rn(__fmul_rn(__fsub_rn(x, mean), scale), shift);
}

// affine's value with element `at` of the residual added (rounded once, as on the CPU), where
// there is one.
__device__ __forceinline__ float plus_residual(float v, const float* residual, int64_t at) {
  return residual == nullptr ? v : __fadd_rn(v, residual[at]);
}

// The channel's totals: its chunks' sums added in chunk order.
__device__ DoublePair channel_totals(const DoublePair* partials, const ChannelChunks& k,
                                     uint32_t channel) {
  DoublePair total{0.0, 0.0};
  const DoublePair* p = partials + static_cast<int64_t>(channel) * k.per_channel;
  for (uint32_t b = 0; b < k.per_channel; ++b) total = AddPair{}(total, p[b]);
  return total;
}

// Forward, pass 1: sum x and x^2 over the block's chunk.
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    forward_sums_kernel(const float* x, DoublePair* partials, ChannelChunks k) {
  __shared__ ChannelReduce::TempStorage temp;
  const uint32_t channel = k.channel(blockIdx.x);
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);
  DoublePair partial{0.0, 0.0};
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const double v = static_cast<double>(x[k.offset(channel, i)]);
    partial.a += v;
    partial.b += v * v;
  }
  const DoublePair sums = ChannelReduce(temp).Reduce(partial, AddPair{});
  if (threadIdx.x == 0) partials[blockIdx.x] = sums;
}

// Forward, pass 2: the channel's coefficients from its totals, then y = activate(affine(x)
// (+ residual)).
template <class Activate>
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    forward_apply_kernel(const float* x, const float* residual, const float* gamma,
                         const float* beta, float* running_mean, float* running_var, float* y,
                         float* save_mean, float* save_invstd, const DoublePair* partials,
                         ChannelChunks k, float momentum_f, float eps, Activate activate) {
  __shared__ float coef[3];  // mean, scale, shift
  const uint32_t channel = k.channel(blockIdx.x);
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);

  if (threadIdx.x == 0) {
    const DoublePair sums = channel_totals(partials, k, channel);
    const double m = static_cast<double>(k.count);
    const double mean = __ddiv_rn(sums.a, m);
    // Clamped as the CPU's std::max(d, 0.0) clamps: a NaN (an infinite input) stays NaN.
    const double d = __dsub_rn(__ddiv_rn(sums.b, m), __dmul_rn(mean, mean));
    const double var = d < 0.0 ? 0.0 : d;
    const double invstd = __ddiv_rn(1.0, sqrt(__dadd_rn(var, static_cast<double>(eps))));
    const float mean_f = static_cast<float>(mean);
    const float invstd_f = static_cast<float>(invstd);
    if (k.first(blockIdx.x)) {
      save_mean[channel] = mean_f;
      save_invstd[channel] = invstd_f;
      const double momentum = momentum_f;
      const double keep = 1.0 - momentum;
      running_mean[channel] = static_cast<float>(__dadd_rn(
          __dmul_rn(keep, static_cast<double>(running_mean[channel])), __dmul_rn(momentum, mean)));
      // momentum * var * m / (m - 1): the unbiased variance, PyTorch's running statistic.
      running_var[channel] =
          static_cast<float>(__dadd_rn(__dmul_rn(keep, static_cast<double>(running_var[channel])),
                                       __ddiv_rn(__dmul_rn(__dmul_rn(momentum, var), m), m - 1.0)));
    }
    coef[0] = mean_f;
    coef[1] = __fmul_rn(gamma[channel], invstd_f);
    coef[2] = beta[channel];
  }
  __syncthreads();

  const float mean = coef[0], scale = coef[1], shift = coef[2];
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const int64_t at = k.offset(channel, i);
    y[at] = activate(plus_residual(affine(x[at], mean, scale, shift), residual, at));
  }
}

template <class Activate>
__global__ void forward_infer_kernel(const float* x, const float* residual, const float* gamma,
                                     const float* beta, const float* running_mean,
                                     const float* running_var, float* y, int64_t total, int64_t c,
                                     int64_t s, float eps, Activate activate) {
  for (int64_t i = global_thread(); i < total; i += grid_stride()) {
    const int64_t channel = (i / s) % c;
    // Recomputed per element (cheap next to the memory traffic) rather than in a second kernel.
    const double invstd = __ddiv_rn(
        1.0, sqrt(__dadd_rn(static_cast<double>(running_var[channel]), static_cast<double>(eps))));
    const float scale = __fmul_rn(gamma[channel], static_cast<float>(invstd));
    y[i] = activate(
        plus_residual(affine(x[i], running_mean[channel], scale, beta[channel]), residual, i));
  }
}

// With g the gradient at batch norm's output (dy, or the activation's gradient from its output y
// and dy), xhat = (x - mean) * invstd and M values per channel:
//   dbeta = sum g,  dgamma = sum g * xhat,
//   dx = gamma * invstd * (g - dbeta / M - xhat * dgamma / M).
// Pass 1: sum g and g * (x - mean) over the block's chunk.
template <class Grad>
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    backward_sums_kernel(const float* x, const float* y, const float* dy, const float* save_mean,
                         DoublePair* partials, ChannelChunks k, Grad grad) {
  __shared__ ChannelReduce::TempStorage temp;
  const uint32_t channel = k.channel(blockIdx.x);
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);
  const double mean = static_cast<double>(save_mean[channel]);
  DoublePair partial{0.0, 0.0};
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const int64_t at = k.offset(channel, i);
    const double g = static_cast<double>(grad_at(grad, y, dy, at));
    partial.a += g;
    partial.b += g * (static_cast<double>(x[at]) - mean);
  }
  const DoublePair sums = ChannelReduce(temp).Reduce(partial, AddPair{});
  if (threadIdx.x == 0) partials[blockIdx.x] = sums;
}

// Pass 2: dgamma and dbeta from the channel's totals (its first block), then dx over the chunk.
// dx may alias dy: each element is read before it is written, by the same thread.
template <class Grad>
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    backward_apply_kernel(const float* x, const float* y, const float* dy, const float* gamma,
                          const float* save_mean, const float* save_invstd,
                          const DoublePair* partials, float* dx, float* dgamma, float* dbeta,
                          ChannelChunks k, Grad grad) {
  __shared__ float coef[3];  // gamma * invstd, dbeta / M, dgamma / M
  const uint32_t channel = k.channel(blockIdx.x);
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);
  const float mean = save_mean[channel];
  const float invstd = save_invstd[channel];

  if (threadIdx.x == 0) {
    const DoublePair sums = channel_totals(partials, k, channel);
    const double m = static_cast<double>(k.count);
    const double dg = __dmul_rn(sums.b, static_cast<double>(invstd));
    if (k.first(blockIdx.x)) {
      if (dbeta != nullptr) dbeta[channel] = static_cast<float>(sums.a);
      if (dgamma != nullptr) dgamma[channel] = static_cast<float>(dg);
    }
    coef[0] = __fmul_rn(gamma[channel], invstd);
    coef[1] = static_cast<float>(__ddiv_rn(sums.a, m));
    coef[2] = static_cast<float>(__ddiv_rn(dg, m));
  }
  if (dx == nullptr) return;  // uniform across the block: no thread is left at the barrier
  __syncthreads();

  const float kk = coef[0], mean_g = coef[1], mean_g_xhat = coef[2];
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const int64_t at = k.offset(channel, i);
    const float g = grad_at(grad, y, dy, at);
    const float xhat = __fmul_rn(__fsub_rn(x[at], mean), invstd);
    dx[at] = __fmul_rn(kk, __fsub_rn(__fsub_rn(g, mean_g), __fmul_rn(xhat, mean_g_xhat)));
  }
}

}  // namespace

void batchnorm_forward_train(const float* x, const float* residual, const float* gamma,
                             const float* beta, float* running_mean, float* running_var, float* y,
                             float* save_mean, float* save_invstd, const ChannelSplit& split,
                             float momentum, float eps, const Activation* activation, void* scratch,
                             cudaStream_t stream) {
  if (split.c <= 0) return;
  const ChannelChunks k = chunks_of(split);
  auto* partials = static_cast<DoublePair*>(scratch);
  forward_sums_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(x, partials, k);
  EMNIST_LAUNCH_CHECK();
  with_activation(activation, [&](auto activate, auto /*grad*/) {
    forward_apply_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(
        x, residual, gamma, beta, running_mean, running_var, y, save_mean, save_invstd, partials, k,
        momentum, eps, activate);
  });
  EMNIST_LAUNCH_CHECK();
}

void batchnorm_forward_infer(const float* x, const float* residual, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float* y, int64_t n, int64_t c, int64_t s, float eps,
                             const Activation* activation, cudaStream_t stream) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  with_activation(activation, [&](auto activate, auto /*grad*/) {
    forward_infer_kernel<<<grid_for(total), kBlock, 0, stream>>>(
        x, residual, gamma, beta, running_mean, running_var, y, total, c, s, eps, activate);
  });
  EMNIST_LAUNCH_CHECK();
}

void batchnorm_backward(const float* x, const float* y, const float* dy, const float* gamma,
                        const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                        float* dbeta, const ChannelSplit& split, const Activation* activation,
                        void* scratch, cudaStream_t stream) {
  if (split.c <= 0) return;
  const ChannelChunks k = chunks_of(split);
  auto* partials = static_cast<DoublePair*>(scratch);
  with_activation(activation, [&](auto /*activate*/, auto grad) {
    backward_sums_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(x, y, dy, save_mean,
                                                                           partials, k, grad);
    EMNIST_LAUNCH_CHECK();
    backward_apply_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(
        x, y, dy, gamma, save_mean, save_invstd, partials, dx, dgamma, dbeta, k, grad);
  });
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
