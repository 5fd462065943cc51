// A training or evaluation batch gathered from a split kept in backend memory (the resident
// feeder), so that only row indices, not images, cross to the backend per batch.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/epoch_order.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

void CpuBackend::epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                            int64_t* rows) {
  checks::epoch_rows(Device::cpu, indices, count, rows);
  const std::vector<int64_t> order = epoch_order(seed, epoch, count);
  for (int64_t i = 0; i < count; ++i) rows[i] = indices[order[static_cast<size_t>(i)]];
}

void CpuBackend::gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                              const int64_t* rows, Tensor x, int32_t* y,
                              const BatchAugment* augment) {
  checks::gather_batch(Device::cpu, images, labels, rows, x, y, augment);
  const int64_t n = x.dim(0), pixels = x.numel() / n;
  // Rows in host memory: checked here.
  const checks::OpCheck check(Device::cpu, "gather_batch");
  for (int64_t b = 0; b < n; ++b)
    check.require(rows[b] >= 0 && rows[b] < count, "a row is outside [0, count)");
  float* dst = x.data;
  if (augment != nullptr) {
    // A draw per sample, then every pixel through it: heavier than a copy, so parallel sooner.
    parallel_for(n, n * pixels * 16, [=](int64_t b) {
      const math::AugmentDraw t =
          math::augment_draw(augment->spec, augment->epoch, static_cast<uint64_t>(augment->ids[b]));
      math::augment_image(images + rows[b] * pixels, augment->rows, augment->cols, augment->spec, t,
                          dst + b * pixels);
      y[b] = labels[rows[b]];
    });
    return;
  }
  parallel_for(n, n * pixels, [=](int64_t b) {
    const uint8_t* src = images + rows[b] * pixels;
    for (int64_t p = 0; p < pixels; ++p) dst[b * pixels + p] = math::pixel_value(src[p]);
    y[b] = labels[rows[b]];
  });
}

}  // namespace emnist::cpu
