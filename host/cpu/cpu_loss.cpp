// Softmax and the fused softmax cross-entropy. Each row subtracts its maximum before exponentiating
// (no overflow; the largest term is exactly 1, so the sum is at least 1 and its log is safe), and
// the row sums are taken in double.
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

float row_max(const float* z, int64_t n) {
  float m = z[0];
  for (int64_t j = 1; j < n; ++j) m = z[j] > m ? z[j] : m;
  return m;
}

// e[j] = exp(z[j] - max) (e may be null: only the sum is wanted); returns the sum in double.
double exp_row(const float* z, int64_t n, float max, float* e) {
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    const float v = std::exp(z[j] - max);
    if (e != nullptr) e[j] = v;
    sum += static_cast<double>(v);
  }
  return sum;
}

}  // namespace

void CpuBackend::softmax_cross_entropy(Tensor logits, const int32_t* labels, Tensor dlogits,
                                       float* loss, CrossEntropyParams params) {
  const int64_t classes =
      checks::softmax_cross_entropy(Device::cpu, logits, labels, dlogits, params);
  const int64_t batch = logits.dim(0);
  // Labels in host memory: checked here, before the parallel loop (an exception must not escape
  // it).
  const checks::OpCheck check(Device::cpu, "softmax_cross_entropy");
  for (int64_t r = 0; r < batch; ++r)
    check.require(labels[r] >= 0 && labels[r] < classes, "a label is outside [0, classes)");

  double* row_loss = grow(sums_, static_cast<size_t>(batch));
  const float* z = logits.data;
  float* d = dlogits.empty() ? nullptr : dlogits.data;
  const float label_smoothing = params.label_smoothing;
  const double eps = static_cast<double>(label_smoothing);
  // With class weights a row's share of the mean is w[label] / sum w, the sum in row order.
  const float* weights = params.class_weights;
  double weight_sum = static_cast<double>(batch);
  if (weights != nullptr) {
    weight_sum = 0.0;
    for (int64_t r = 0; r < batch; ++r) weight_sum += static_cast<double>(weights[labels[r]]);
    check.require(weight_sum > 0.0, "the batch's class weights sum to 0");
  }
  const float weight_total = static_cast<float>(weight_sum);
#pragma omp parallel for schedule(static) if (worth_parallel(batch * classes))
  for (int64_t r = 0; r < batch; ++r) {
    const float* row = z + r * classes;
    const float max = row_max(row, classes);
    const int32_t label = labels[r];
    const float z_label = row[label];  // read before dlogits, which may alias the logits
    // The mean of z - max, for the smoothed part of the target, also before dlogits is written.
    double sum_z = 0.0;
    if (eps != 0.0)
      for (int64_t j = 0; j < classes; ++j) sum_z += static_cast<double>(row[j] - max);
    float* drow = d == nullptr ? nullptr : d + r * classes;
    const double sum = exp_row(row, classes, max, drow);
    const double log_sum = std::log(sum);
    // -log softmax[label] = log sum exp(z - max) - (z[label] - max)
    const double nll = log_sum - static_cast<double>(z_label - max);
    row_loss[r] = math::cross_entropy_row(nll, log_sum, sum_z / static_cast<double>(classes), eps);
    if (weights != nullptr) row_loss[r] *= static_cast<double>(weights[label]);
    if (drow != nullptr) {
      const float inv_sum = static_cast<float>(1.0 / sum);
      const math::SmoothedTarget target = math::smoothed_target(
          label_smoothing, classes, math::row_share(weights, label, batch, weight_total));
      for (int64_t j = 0; j < classes; ++j)
        drow[j] = math::cross_entropy_grad(drow[j] * inv_sum, target, j == label);
    }
  }
  if (loss != nullptr) {
    double total = 0.0;
    for (int64_t r = 0; r < batch; ++r) total += row_loss[r];
    loss[0] = batch == 0 ? 0.0f : static_cast<float>(total / weight_sum);
  }
}

void CpuBackend::softmax(Tensor logits, Tensor probs) {
  const int64_t classes = checks::softmax(Device::cpu, logits, probs);
  const int64_t batch = logits.dim(0);
  const float* z = logits.data;
  float* out = probs.data;
#pragma omp parallel for schedule(static) if (worth_parallel(batch * classes))
  for (int64_t r = 0; r < batch; ++r) {
    const float* row = z + r * classes;
    float* prow = out + r * classes;
    const double sum = exp_row(row, classes, row_max(row, classes), prow);
    const float inv_sum = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < classes; ++j) prow[j] *= inv_sum;
  }
}

}  // namespace emnist::cpu
