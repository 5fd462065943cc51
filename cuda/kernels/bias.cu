// Bias broadcast and bias gradient over [N, C, S]: the convolution's per-filter bias (S = Ho*Wo)
// and, where cuBLASLt's bias epilogue cannot be used, the linear layer's (S = 1).
#include "cuda_check.hpp"
#include "kernels/channel_reduce.cuh"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void bias_add_kernel(float* y, const float* bias, int64_t total, int64_t c, int64_t s) {
  for (int64_t i = global_thread(); i < total; i += grid_stride()) y[i] += bias[(i / s) % c];
}

// Pass 1: the sum of dy over the block's chunk of its channel.
__global__ void __launch_bounds__(kChannelThreads, kChannelBlocksPerMultiprocessor)
    bias_sums_kernel(const float* dy, double* partials, ChannelChunks k) {
  __shared__ ChannelReduce1::TempStorage temp;
  const uint32_t channel = k.channel(blockIdx.x);
  const uint32_t begin = k.begin(blockIdx.x), end = k.end(blockIdx.x);
  double sum = 0.0;
  for (uint32_t i = begin + threadIdx.x; i < end; i += blockDim.x)
    sum += static_cast<double>(dy[k.offset(channel, i)]);
  const double total = ChannelReduce1(temp).Sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// Pass 2: a thread per channel adds its chunk sums in chunk order.
__global__ void bias_total_kernel(const double* partials, float* db, int64_t c,
                                  uint32_t per_channel) {
  for (int64_t channel = global_thread(); channel < c; channel += grid_stride()) {
    double total = 0.0;
    for (uint32_t b = 0; b < per_channel; ++b) total += partials[channel * per_channel + b];
    db[channel] = static_cast<float>(total);
  }
}

}  // namespace

void bias_add(float* y, const float* bias, int64_t n, int64_t c, int64_t s, cudaStream_t stream) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  bias_add_kernel<<<grid_for(total), kBlock, 0, stream>>>(y, bias, total, c, s);
  EMNIST_LAUNCH_CHECK();
}

void bias_grad(const float* dy, float* db, const ChannelSplit& split, void* scratch,
               cudaStream_t stream) {
  if (split.c <= 0) return;
  const ChannelChunks k = chunks_of(split);
  auto* partials = static_cast<double*>(scratch);
  bias_sums_kernel<<<blocks_of(split), kChannelThreads, 0, stream>>>(dy, partials, k);
  EMNIST_LAUNCH_CHECK();
  bias_total_kernel<<<grid_for(split.c), kBlock, 0, stream>>>(partials, db, split.c, k.per_channel);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
