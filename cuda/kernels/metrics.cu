// Metrics accumulated where the logits are, read back once per epoch: a confusion matrix (integer
// atomics: the counts do not depend on the order the rows arrive in) and the epoch's loss sum.
#include "cuda_check.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void confusion_kernel(const float* logits, const int32_t* labels,
                                 unsigned long long* confusion, int64_t batch, int64_t classes) {
  for (int64_t r = global_thread(); r < batch; r += grid_stride()) {
    const int32_t label = labels[r];
    if (label < 0 || label >= classes) continue;
    const float* row = logits + r * classes;
    int64_t predicted = 0;
    // Strictly greater: on ties the first maximum is the prediction.
    for (int64_t j = 1; j < classes; ++j) {
      if (row[j] > row[predicted]) predicted = j;
    }
    atomicAdd(confusion + label * classes + predicted, 1ull);
  }
}

__global__ void loss_accumulate_kernel(const float* value, double* sum, double count,
                                       const StepScalars* scalars, int64_t* first_nonfinite) {
  // sum + value * count with both roundings, as the CPU computes it (no fused multiply-add).
  sum[0] = __dadd_rn(sum[0], __dmul_rn(static_cast<double>(value[0]), count));
  if (first_nonfinite != nullptr && first_nonfinite[0] < 0 && !isfinite(value[0]))
    first_nonfinite[0] = scalars->step;
}

}  // namespace

void confusion_accumulate(const float* logits, const int32_t* labels, int64_t* confusion,
                          int64_t batch, int64_t classes, cudaStream_t stream) {
  if (batch <= 0) return;
  // int64_t and unsigned long long have the same size, and two's-complement addition of 1 is the
  // same bits either way.
  static_assert(sizeof(int64_t) == sizeof(unsigned long long));
  confusion_kernel<<<grid_for(batch), kBlock, 0, stream>>>(
      logits, labels, reinterpret_cast<unsigned long long*>(confusion), batch, classes);
  EMNIST_LAUNCH_CHECK();
}

void loss_accumulate(const float* value, double* sum, int64_t count, const StepScalars* scalars,
                     int64_t* first_nonfinite, cudaStream_t stream) {
  loss_accumulate_kernel<<<1, 1, 0, stream>>>(value, sum, static_cast<double>(count), scalars,
                                              first_nonfinite);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
