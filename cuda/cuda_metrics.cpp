// Metrics accumulated on the device (see kernels/metrics.cu), read back once per epoch.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) {
  const char* op = "confusion_accumulate";
  const OpRange range{op};
  require_tensor(logits, 2, op, "logits");
  require(labels != nullptr && confusion != nullptr, op, "labels or confusion is null");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  require(classes >= 1, op, "logits need at least one class");
  kernels::confusion_accumulate(logits.data, labels, confusion, batch, classes, stream_.get());
}

void CudaBackend::loss_accumulate(const float* value, double* sum, int64_t count,
                                  const StepScalars* scalars, int64_t* first_nonfinite) {
  const OpRange range{"loss_accumulate"};
  require(value != nullptr && sum != nullptr, "loss_accumulate", "value or sum is null");
  require(first_nonfinite == nullptr || scalars != nullptr, "loss_accumulate",
          "first_nonfinite needs the step scalars");
  kernels::loss_accumulate(value, sum, count, scalars, first_nonfinite, stream_.get());
}

}  // namespace emnist::cuda
