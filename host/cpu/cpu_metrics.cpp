// Metrics accumulated where the logits are: a confusion matrix and the epoch's loss sum, so the
// host reads them once per epoch. Serial: a batch is a few thousand logits, less than a fork costs.
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_checks.hpp"

namespace emnist::cpu {

void CpuBackend::confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) {
  const char* op = "confusion_accumulate";
  require_tensor(logits, 2, op, "logits");
  require(labels != nullptr && confusion != nullptr, op, "labels or confusion is null");
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  require(classes >= 1, op, "logits need at least one class");
  for (int64_t r = 0; r < batch; ++r) {
    require(labels[r] >= 0 && labels[r] < classes, op, "a label is outside [0, classes)");
  }
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
  require(value != nullptr && sum != nullptr, "loss_accumulate", "value or sum is null");
  require(first_nonfinite == nullptr || scalars != nullptr, "loss_accumulate",
          "first_nonfinite needs the step scalars");
  sum[0] += static_cast<double>(value[0]) * static_cast<double>(count);
  if (first_nonfinite != nullptr && first_nonfinite[0] < 0 && !std::isfinite(value[0]))
    first_nonfinite[0] = scalars->step;
}

}  // namespace emnist::cpu
