// Metrics accumulated where the logits are: a confusion matrix and the epoch's loss sum, so the
// host reads them once per epoch. Serial: a batch is a few thousand logits, less than a fork costs.
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

void CpuBackend::confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) {
  const int64_t classes = checks::confusion_accumulate(Device::cpu, logits, labels, confusion);
  const int64_t batch = logits.dim(0);
  const checks::OpCheck check(Device::cpu, "confusion_accumulate");
  for (int64_t r = 0; r < batch; ++r)
    check.require(labels[r] >= 0 && labels[r] < classes, "a label is outside [0, classes)");
  for (int64_t r = 0; r < batch; ++r) {
    const float* row = logits.data + r * classes;
    int64_t predicted = 0;
    // Strictly greater: on ties the first maximum is the prediction (as argmax everywhere).
    for (int64_t j = 1; j < classes; ++j) {
      if (row[j] > row[predicted]) predicted = j;
    }
    confusion[labels[r] * classes + predicted] += 1;
  }
}

void CpuBackend::loss_accumulate(const float* value, double* sum, int64_t count,
                                 const StepScalars* scalars, int64_t* first_nonfinite) {
  checks::loss_accumulate(Device::cpu, value, sum, scalars, first_nonfinite);
  sum[0] += static_cast<double>(value[0]) * static_cast<double>(count);
  if (first_nonfinite != nullptr && first_nonfinite[0] < 0 && !std::isfinite(value[0]))
    first_nonfinite[0] = scalars->step;
}

}  // namespace emnist::cpu
