// L1 and L2 penalties on a span of weights: grad += l1 * sign(w) + l2 * w, and the penalty
// l1 * sum|w| + l2 / 2 * sum w^2. The penalty is one block's fixed-order reduction in double: it
// runs only when train.l1 > 0, over the weights alone, so one block is fast enough and needs no
// scratch memory.
#include <cub/block/block_reduce.cuh>

#include "cuda_check.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

constexpr int kPenaltyThreads = 1024;

struct PairSum {
  double abs, sq;
};
struct AddPairSum {
  __device__ PairSum operator()(const PairSum& a, const PairSum& b) const {
    return PairSum{a.abs + b.abs, a.sq + b.sq};
  }
};

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

__global__ void __launch_bounds__(kPenaltyThreads)
    penalty_kernel(const float* w, int64_t n, float l1, float l2, float* penalty) {
  using Reduce = cub::BlockReduce<PairSum, kPenaltyThreads>;
  __shared__ Reduce::TempStorage temp;
  PairSum partial{0.0, 0.0};
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const double v = static_cast<double>(w[i]);
    partial.abs += fabs(v);
    partial.sq += v * v;
  }
  const PairSum total = Reduce(temp).Reduce(partial, AddPairSum{});
  if (threadIdx.x == 0) {
    penalty[0] = static_cast<float>(__dadd_rn(__dmul_rn(static_cast<double>(l1), total.abs),
                                              __dmul_rn(0.5 * static_cast<double>(l2), total.sq)));
  }
}

}  // namespace

void regularize(const float* weights, float* grads, int64_t n, float l1, float l2, float* penalty,
                cudaStream_t stream) {
  if (grads != nullptr && n > 0 && (l1 != 0.0f || l2 != 0.0f)) {
    gradient_kernel<<<grid_for(n), kBlock, 0, stream>>>(weights, grads, n, l1, l2);
    EMNIST_LAUNCH_CHECK();
  }
  if (penalty != nullptr) {
    penalty_kernel<<<1, kPenaltyThreads, 0, stream>>>(weights, n, l1, l2, penalty);
    EMNIST_LAUNCH_CHECK();
  }
}

}  // namespace emnist::cuda::kernels
