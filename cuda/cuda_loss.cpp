// Softmax and the fused softmax cross-entropy (see kernels/softmax.cu). The labels are in device
// memory, so unlike the CPU backend this cannot refuse a label outside [0, classes) without
// waiting for the GPU; the kernel turns such a row's loss and gradient into NaN instead, which the
// trainer's finiteness check reports.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::softmax_cross_entropy(Tensor logits, const int32_t* labels, Tensor dlogits,
                                        float* loss, CrossEntropyParams p) {
  const char* op = "softmax_cross_entropy";
  const OpRange range{op};
  const int64_t classes = checks::softmax_cross_entropy(Device::cuda, logits, labels, dlogits, p);
  const int64_t batch = logits.dim(0);
  kernels::softmax_cross_entropy(logits.data, labels, dlogits.empty() ? nullptr : dlogits.data,
                                 loss, batch, classes, p.label_smoothing, p.class_weights,
                                 stream_.get());
}

void CudaBackend::softmax(Tensor logits, Tensor probs) {
  const char* op = "softmax";
  const OpRange range{op};
  const int64_t classes = checks::softmax(Device::cuda, logits, probs);
  const int64_t batch = logits.dim(0);
  kernels::softmax(logits.data, probs.data, batch, classes, stream_.get());
}

}  // namespace emnist::cuda
