// Metrics accumulated on the device (see kernels/metrics.cu), read back once per epoch.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) {
  const char* op = "confusion_accumulate";
  const OpRange range{op};
  const int64_t classes = checks::confusion_accumulate(Device::cuda, logits, labels, confusion);
  const int64_t batch = logits.dim(0);
  kernels::confusion_accumulate(logits.data, labels, confusion, batch, classes, stream_.get());
}

void CudaBackend::loss_accumulate(const float* value, double* sum, int64_t count,
                                  const StepScalars* scalars, int64_t* first_nonfinite) {
  const OpRange range{"loss_accumulate"};
  checks::loss_accumulate(Device::cuda, value, sum, scalars, first_nonfinite);
  kernels::loss_accumulate(value, sum, count, scalars, first_nonfinite, stream_.get());
}

}  // namespace emnist::cuda
