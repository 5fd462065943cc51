// Softmax and the fused softmax cross-entropy (see kernels/softmax.cu). The labels are in device
// memory, so unlike the CPU backend this cannot refuse a label outside [0, classes) without
// waiting for the GPU; the kernel turns such a row's loss and gradient into NaN instead, which the
// trainer's finiteness check reports.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::softmax_cross_entropy(Tensor logits, const int32_t* labels, Tensor dlogits,
                                        float* loss) {
  const char* op = "softmax_cross_entropy";
  const OpRange range{op};
  require_tensor(logits, 2, op, "logits");
  require(labels != nullptr, op, "labels is null");
  if (!dlogits.empty()) {
    require_tensor(dlogits, 2, op, "dlogits");
    require_same_shape(logits, dlogits, op, "logits and dlogits");
  }
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  require(classes >= 1, op, "logits need at least one class");
  kernels::softmax_cross_entropy(logits.data, labels, dlogits.empty() ? nullptr : dlogits.data,
                                 loss, batch, classes, stream_.get());
}

void CudaBackend::softmax(Tensor logits, Tensor probs) {
  const char* op = "softmax";
  const OpRange range{op};
  require_tensor(logits, 2, op, "logits");
  require_tensor(probs, 2, op, "probs");
  require_same_shape(logits, probs, op, "logits and probs");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  require(classes >= 1, op, "logits need at least one class");
  kernels::softmax(logits.data, probs.data, batch, classes, stream_.get());
}

}  // namespace emnist::cuda
