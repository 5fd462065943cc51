// L1 and L2 penalties on a span of weights (see kernels/regularize.cu).
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::regularize(Tensor weights, Tensor grads, float l1, float l2, float* penalty) {
  const char* op = "regularize";
  const OpRange range{op};
  require_tensor(weights, -1, op, "weights");
  if (!grads.empty()) {
    require_tensor(grads, -1, op, "grads");
    require(grads.numel() == weights.numel(), op, "weights and grads differ in size");
  }
  kernels::regularize(weights.data, grads.empty() ? nullptr : grads.data, weights.numel(), l1, l2,
                      penalty, stream_.get());
}

}  // namespace emnist::cuda
