// Softmax and the fused softmax cross-entropy, one warp per row. Each row subtracts its maximum
// before exponentiating (the largest term is exactly 1, so the sum is at least 1 and its log is
// safe), sums in double across the warp with a butterfly (every lane ends with the same bits), and
// rounds the outputs as the CPU backend does.
//
// The cross-entropy runs as a single block: its warps take rows in a fixed round-robin, each warp
// keeps its rows' losses in row order, and thread 0 adds the warps' totals in warp order. A fixed
// order without a second kernel or scratch memory; a batch is a few thousand logits, well within
// one block's reach.
#include <cmath>

#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kLossWarps = 32;  // the cross-entropy block: 1024 threads
constexpr int kSoftmaxWarps = kBlock / kWarp;

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(kFullMask, v, offset);
    v = other > v ? other : v;
  }
  return v;
}

// Butterfly: at each level a lane adds its partner's value to its own; addition commutes, so the
// two partners compute the same bits, and after the last level every lane holds the same total.
__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

struct RowStats {
  float max;
  double sum;  // sum of expf(z - max), in double
};

// Called by all 32 lanes of a warp. Starts from z[0], as the CPU's row_max does.
__device__ RowStats row_stats(const float* row, int64_t classes, int lane) {
  float m = row[0];
  for (int64_t j = lane; j < classes; j += kWarp) m = row[j] > m ? row[j] : m;
  m = warp_max(m);
  double s = 0.0;
  for (int64_t j = lane; j < classes; j += kWarp) s += static_cast<double>(expf(row[j] - m));
  return RowStats{m, warp_sum(s)};
}

__global__ void __launch_bounds__(kLossWarps* kWarp)
    cross_entropy_kernel(const float* logits, const int32_t* labels, float* dlogits, float* loss,
                         int64_t batch, int64_t classes, float label_smoothing,
                         const float* class_weights) {
  __shared__ double warp_totals[kLossWarps];
  __shared__ double weight_parts[kLossWarps * kWarp];
  __shared__ double weight_sum;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const double eps = static_cast<double>(label_smoothing);
  double total = 0.0;  // this warp's rows, in row order (lane 0's copy is the one used)

  // The rows' weights summed first, each thread its rows in order, then the threads in order.
  if (class_weights != nullptr) {
    double part = 0.0;
    for (int64_t r = threadIdx.x; r < batch; r += blockDim.x) {
      const int32_t label = labels[r];
      if (label >= 0 && label < classes) part += static_cast<double>(class_weights[label]);
    }
    weight_parts[threadIdx.x] = part;
    __syncthreads();
    if (threadIdx.x == 0) {
      double sum = 0.0;
      for (unsigned t = 0; t < blockDim.x; ++t) sum += weight_parts[t];
      weight_sum = sum;
    }
  } else if (threadIdx.x == 0) {
    weight_sum = static_cast<double>(batch);
  }
  __syncthreads();
  const float weight_total = static_cast<float>(weight_sum);

  for (int64_t r = warp; r < batch; r += kLossWarps) {
    const float* row = logits + r * classes;
    const int32_t label = labels[r];
    const bool valid = label >= 0 && label < classes;
    const float z_label = valid ? row[label] : 0.0f;
    const RowStats st = row_stats(row, classes, lane);
    // The mean of z - max, for the smoothed part of the target.
    double sum_z = 0.0;
    if (eps != 0.0) {
      for (int64_t j = lane; j < classes; j += kWarp) sum_z += static_cast<double>(row[j] - st.max);
      sum_z = warp_sum(sum_z);
    }
    // dlogits may alias the logits: every lane's reads of this row (z_label above included)
    // must be done before any lane writes to it.
    __syncwarp();
    if (dlogits != nullptr) {
      float* drow = dlogits + r * classes;
      const float inv_sum = static_cast<float>(1.0 / st.sum);
      const math::SmoothedTarget target = math::smoothed_target(
          label_smoothing, classes,
          valid ? math::row_share(class_weights, label, batch, weight_total) : 0.0f);
      for (int64_t j = lane; j < classes; j += kWarp) {
        const float p = __fmul_rn(expf(row[j] - st.max), inv_sum);
        drow[j] = valid ? math::cross_entropy_grad(p, target, j == label) : NAN;
      }
    }
    // -log softmax[label] = log sum exp(z - max) - (z[label] - max)
    const double log_sum = log(st.sum);
    const double nll = __dsub_rn(log_sum, static_cast<double>(z_label - st.max));
    const double mean_z = sum_z / static_cast<double>(classes);
    double row_loss = valid ? math::cross_entropy_row(nll, log_sum, mean_z, eps) : NAN;
    if (class_weights != nullptr && valid) row_loss *= static_cast<double>(class_weights[label]);
    total += row_loss;
    // The next row may be this one's neighbour in memory, but no lane reads what another writes.
  }
  if (lane == 0) warp_totals[warp] = total;
  __syncthreads();
  if (threadIdx.x == 0 && loss != nullptr) {
    double sum = 0.0;
    for (int w = 0; w < kLossWarps; ++w) sum += warp_totals[w];
    loss[0] = batch == 0 ? 0.0f : static_cast<float>(sum / weight_sum);
  }
}

__global__ void softmax_kernel(const float* logits, float* probs, int64_t batch, int64_t classes) {
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kSoftmaxWarps;
  for (int64_t r = global_thread() / kWarp; r < batch; r += warps) {
    const float* row = logits + r * classes;
    const RowStats st = row_stats(row, classes, lane);
    __syncwarp();  // probs may alias the logits
    const float inv_sum = static_cast<float>(1.0 / st.sum);
    float* prow = probs + r * classes;
    for (int64_t j = lane; j < classes; j += kWarp)
      prow[j] = __fmul_rn(expf(row[j] - st.max), inv_sum);
  }
}

}  // namespace

void softmax_cross_entropy(const float* logits, const int32_t* labels, float* dlogits, float* loss,
                           int64_t batch, int64_t classes, float label_smoothing,
                           const float* class_weights, cudaStream_t stream) {
  if (batch <= 0) {
    if (loss != nullptr) EMNIST_CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(float), stream));
    return;
  }
  cross_entropy_kernel<<<1, kLossWarps * kWarp, 0, stream>>>(
      logits, labels, dlogits, loss, batch, classes, label_smoothing, class_weights);
  EMNIST_LAUNCH_CHECK();
}

void softmax(const float* logits, float* probs, int64_t batch, int64_t classes,
             cudaStream_t stream) {
  if (batch <= 0) return;
  const int64_t blocks = std::min<int64_t>((batch + kSoftmaxWarps - 1) / kSoftmaxWarps, kMaxBlocks);
  softmax_kernel<<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(logits, probs, batch,
                                                                       classes);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
