// L1 and L2 penalties on a span of weights (see kernels/regularize.cu).
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::regularize(Tensor weights, Tensor grads, float l1, float l2, float* penalty) {
  const char* op = "regularize";
  const OpRange range{op};
  checks::regularize(Device::cuda, weights, grads);
  kernels::regularize(weights.data, grads.empty() ? nullptr : grads.data, weights.numel(), l1, l2,
                      stream_.get());
  if (penalty != nullptr) {
    const auto [split, scratch] = channel_split(op, weights.numel(), 1, 1);
    kernels::regularize_penalty(weights.data, split, l1, l2, penalty, scratch, stream_.get());
  }
}

}  // namespace emnist::cuda
