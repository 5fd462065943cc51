// L1 and L2 penalties on a span of weights: grad += l1 * sign(w) + l2 * w, and the penalty
// l1 * sum|w| + l2 / 2 * sum w^2, its sums taken in double over chunks of the span (a ChannelSplit
// of one channel: the weights of a CNN are a million values, too many for one block) and the
// chunks' sums added in chunk order.
#include <stdexcept>

#include "cuda_check.hpp"
#include "kernels/channel_reduce.cuh"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

// sign(0) = 0, as the CPU backend (and PyTorch's sign) has it.
__device__ __forceinline__ float sign(float w) {
  return static_cast<float>((w > 0.0f) - (w < 0.0f));
}

__global__ void gradient_kernel(const float* w, float* g, int64_t n, float l1, float l2) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    // Rounded after each operation, as the CPU computes g + (l1 * sign + l2 * w).
    g[i] = __fadd_rn(g[i], __fadd_rn(__fmul_rn(l1, sign(w[i])), __fmul_rn(l2, w[i])));
  }
}

// Pass 1: sum |w| and w^2 over the block's chunk.
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    penalty_sums_kernel(const float* w, DoublePair* partials, ChannelChunks k) {
  __shared__ ChannelReduce::TempStorage temp;
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);
  DoublePair partial{0.0, 0.0};
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const double v = static_cast<double>(w[i]);
    partial.a += fabs(v);
    partial.b += v * v;
  }
  const DoublePair sums = ChannelReduce(temp).Reduce(partial, AddPair{});
  if (threadIdx.x == 0) partials[blockIdx.x] = sums;
}

// Pass 2 (one thread): the chunks' sums in chunk order, then the penalty.
__global__ void penalty_total_kernel(const DoublePair* partials, uint32_t chunks, float l1,
                                     float l2, float* penalty) {
  DoublePair total{0.0, 0.0};
  for (uint32_t b = 0; b < chunks; ++b) total = AddPair{}(total, partials[b]);
  penalty[0] = static_cast<float>(__dadd_rn(__dmul_rn(static_cast<double>(l1), total.a),
                                            __dmul_rn(0.5 * static_cast<double>(l2), total.b)));
}

}  // namespace

void regularize(const float* weights, float* grads, int64_t n, float l1, float l2,
                cudaStream_t stream) {
  if (grads == nullptr || n <= 0 || (l1 == 0.0f && l2 == 0.0f)) return;
  gradient_kernel<<<grid_for(n), kBlock, 0, stream>>>(weights, grads, n, l1, l2);
  EMNIST_LAUNCH_CHECK();
}

void regularize_penalty(const float* weights, const ChannelSplit& split, float l1, float l2,
                        float* penalty, void* scratch, cudaStream_t stream) {
  // The kernels read the weights as one flat channel.
  if (split.c != 1 || split.s != 1)
    throw std::logic_error("regularize_penalty: a split of more than one channel");
  auto* partials = static_cast<DoublePair*>(scratch);
  penalty_sums_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(weights, partials,
                                                                        chunks_of(split));
  EMNIST_LAUNCH_CHECK();
  penalty_total_kernel<<<1, 1, 0, stream>>>(partials, static_cast<uint32_t>(split.chunks), l1, l2,
                                            penalty);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
