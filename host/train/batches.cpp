#include "train/batches.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "emnist/element_math.hpp"

namespace emnist {
namespace {

// math::pixel_value, looked up so each pixel costs a load.
const std::array<float, 256>& pixel_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
      t[static_cast<size_t>(i)] = math::pixel_value(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

}  // namespace

BatchFeeder::BatchFeeder(Backend& backend, int64_t max_batch, int64_t image_size)
    : backend_(backend),
      max_batch_(max_batch),
      image_size_(image_size),
      pixels_(static_cast<size_t>(max_batch * image_size)),
      labels_(static_cast<size_t>(max_batch)) {}

template <typename PositionAt>
void BatchFeeder::gather(const BatchView& batch, const Subset& subset, int64_t n,
                         PositionAt position_at, int epoch) {
  if (n < 1 || n > max_batch_ || n > batch.max_batch())
    throw std::invalid_argument("feeder: batch size out of range");
  const ImageSet& source = *subset.source;
  if (source.image_size() != image_size_ || batch.sample_size() != image_size_)
    throw std::invalid_argument("feeder: image size does not match the model input");
  const auto& table = pixel_table();
  labels_.resize(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b) {
    const int64_t index = subset.indices[static_cast<size_t>(position_at(b))];
    const uint8_t* src = source.image(index);
    float* dst = pixels_.data() + b * image_size_;
    if (epoch >= 0) {
      math::augment_image(src, source.rows, source.cols, augment_,
                          math::augment_draw(augment_, epoch, static_cast<uint64_t>(index)), dst);
    } else {
      for (int64_t p = 0; p < image_size_; ++p) dst[p] = table[src[p]];
    }
    labels_[static_cast<size_t>(b)] = source.labels[static_cast<size_t>(index)];
  }
  backend_.copy_from_host(batch.input(n).data, pixels_.data(),
                          sizeof(float) * static_cast<size_t>(n * image_size_));
  backend_.copy_from_host(batch.labels, labels_.data(), sizeof(int32_t) * static_cast<size_t>(n));
}

std::vector<int64_t> Feeder::epoch_positions(const Subset& subset, uint64_t seed, int epoch) const {
  if (!balanced_) return epoch_order(seed, epoch, subset.size());
  std::vector<int32_t> labels(subset.indices.size());
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = subset.source->labels[static_cast<size_t>(subset.indices[i])];
  return balanced_draws(seed, epoch, labels);
}

void BatchFeeder::begin_epoch(const Subset& subset, uint64_t seed, int epoch) {
  epoch_subset_ = &subset;
  epoch_ = epoch;
  epoch_order_ = epoch_positions(subset, seed, epoch);
}

void BatchFeeder::load_step(const BatchView& batch, int64_t step, int64_t n) {
  if (epoch_subset_ == nullptr) throw std::logic_error("feeder: load_step before begin_epoch");
  if (step < 0 || (step + 1) * n > static_cast<int64_t>(epoch_order_.size()))
    throw std::invalid_argument("feeder: step beyond the epoch's order");
  const int64_t* positions = epoch_order_.data() + step * n;
  gather(
      batch, *epoch_subset_, n, [positions](int64_t b) { return positions[b]; },
      augmenting() ? epoch_ : -1);
}

void BatchFeeder::load(const BatchView& batch, const Subset& subset, const int64_t* positions,
                       int64_t n) {
  gather(
      batch, subset, n, [positions](int64_t b) { return positions[b]; }, -1);
}

void BatchFeeder::load_range(const BatchView& batch, const Subset& subset, int64_t first,
                             int64_t n) {
  gather(
      batch, subset, n, [first](int64_t b) { return first + b; }, -1);
}

}  // namespace emnist
