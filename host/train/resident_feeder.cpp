#include <fmt/format.h>

#include <stdexcept>

#include "emnist/error.hpp"
#include "train/batches.hpp"

namespace emnist {

ResidentFeeder::ResidentFeeder(Backend& backend, int64_t image_size)
    : backend_(backend), image_size_(image_size) {}

const ResidentFeeder::ImagesOnDevice& ResidentFeeder::images_of(const ImageSet& set) {
  auto [it, added] = images_.try_emplace(&set);
  ImagesOnDevice& d = it->second;
  if (!added) return d;
  if (set.image_size() != image_size_)
    throw std::invalid_argument("feeder: image size does not match the model input");
  d.count = set.count;
  d.rows = set.rows;
  d.cols = set.cols;
  d.pixels = DeviceBuffer(backend_, set.pixels.size());
  d.labels = DeviceBuffer(backend_, sizeof(int32_t) * set.labels.size());
  backend_.copy_from_host(d.pixels.data(), set.pixels.data(), set.pixels.size());
  backend_.copy_from_host(d.labels.data(), set.labels.data(), sizeof(int32_t) * set.labels.size());
  return d;
}

void ResidentFeeder::upload_rows(RowsOnDevice& dst, const Subset& subset,
                                 const std::vector<int64_t>& rows) {
  dst.images = &images_of(*subset.source);
  const size_t bytes = sizeof(int64_t) * rows.size();
  if (dst.rows.bytes() < bytes) dst.rows = DeviceBuffer(backend_, bytes);
  dst.count = static_cast<int64_t>(rows.size());
  backend_.copy_from_host(dst.rows.data(), rows.data(), bytes);
}

const ResidentFeeder::RowsOnDevice& ResidentFeeder::indices_of(const Subset& subset) {
  auto [it, added] = eval_rows_.try_emplace(&subset);
  if (added || it->second.count != subset.size()) upload_rows(it->second, subset, subset.indices);
  return it->second;
}

void ResidentFeeder::begin_epoch(const Subset& subset, uint64_t seed, int epoch) {
  // Rows of the image set in the epoch's order: a step then reads its rows at step * n.
  epoch_ = epoch;
  if (balanced()) {
    // Drawn on the host and sent once an epoch (as many rows as the subset has: the buffer, which
    // a captured step reads, keeps its address).
    const std::vector<int64_t> positions = epoch_positions(subset, seed, epoch);
    std::vector<int64_t> rows(positions.size());
    for (size_t i = 0; i < rows.size(); ++i)
      rows[i] = subset.indices[static_cast<size_t>(positions[i])];
    upload_rows(epoch_rows_, subset, rows);
    return;
  }
  const RowsOnDevice& indices = indices_of(subset);
  const size_t bytes = sizeof(int64_t) * static_cast<size_t>(indices.count);
  if (epoch_rows_.rows.bytes() < bytes) epoch_rows_.rows = DeviceBuffer(backend_, bytes);
  epoch_rows_.images = indices.images;
  epoch_rows_.count = indices.count;
  backend_.epoch_rows(seed, epoch, indices.rows.at<int64_t>(0), indices.count,
                      epoch_rows_.rows.at<int64_t>(0));
}

void ResidentFeeder::gather(const BatchView& batch, const RowsOnDevice& rows, int64_t first,
                            int64_t n, int epoch) {
  if (n < 1 || n > batch.max_batch() || first < 0 || first + n > rows.count)
    throw std::invalid_argument("feeder: batch outside the rows");
  if (batch.sample_size() != image_size_)
    throw std::invalid_argument("feeder: image size does not match the model input");
  const int64_t* at = rows.rows.at<int64_t>(0) + first;
  // The rows name the images of the set: they are the samples' ids too.
  const BatchAugment augment{augment_, epoch, at, rows.images->rows, rows.images->cols};
  backend_.gather_batch(rows.images->pixels.at<uint8_t>(0), rows.images->labels.at<int32_t>(0),
                        rows.images->count, at, batch.input(n), batch.labels,
                        epoch >= 0 ? &augment : nullptr);
}

void ResidentFeeder::load_step(const BatchView& batch, int64_t step, int64_t n) {
  if (epoch_rows_.images == nullptr) throw std::logic_error("feeder: load_step before begin_epoch");
  gather(batch, epoch_rows_, step * n, n, augmenting() ? epoch_ : -1);
}

void ResidentFeeder::load_range(const BatchView& batch, const Subset& subset, int64_t first,
                                int64_t n) {
  gather(batch, indices_of(subset), first, n, -1);
  labels_.resize(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b)
    labels_[static_cast<size_t>(b)] =
        subset.source->labels[static_cast<size_t>(subset.indices[static_cast<size_t>(first + b)])];
}

}  // namespace emnist
