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

__global__ void __launch_bounds__(kChannelThreads)
    bias_grad_kernel(const float* dy, float* db, ChannelLayout layout) {
  __shared__ ChannelReduce1::TempStorage temp;
  const int64_t channel = blockIdx.x;
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < layout.count(); i += blockDim.x)
    sum += static_cast<double>(dy[layout.offset(channel, i)]);
  const double total = ChannelReduce1(temp).Sum(sum);
  if (threadIdx.x == 0) db[channel] = static_cast<float>(total);
}

}  // namespace

void bias_add(float* y, const float* bias, int64_t n, int64_t c, int64_t s, cudaStream_t stream) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  bias_add_kernel<<<grid_for(total), kBlock, 0, stream>>>(y, bias, total, c, s);
  EMNIST_LAUNCH_CHECK();
}

void bias_grad(const float* dy, float* db, int64_t n, int64_t c, int64_t s, cudaStream_t stream) {
  if (c <= 0) return;
  bias_grad_kernel<<<static_cast<unsigned>(c), kChannelThreads, 0, stream>>>(
      dy, db, ChannelLayout{n, c, s});
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
