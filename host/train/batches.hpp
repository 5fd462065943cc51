#pragma once
// Batches: the epoch's sample order, and feeders that put a batch into the model's input
// (x = math::pixel_value(pixel), labels int32). Two feeders give the same batches bit for bit:
// - BatchFeeder gathers on the host and copies the floats to the backend (the CPU feeder);
// - ResidentFeeder uploads each split's uint8 images once and gathers on the backend
//   (Backend::gather_batch), so a step moves no images; the epoch's order is computed there too
//   (Backend::epoch_rows);
// - PinnedFeeder (pinned_feeder.hpp) gathers uint8 batches on a loader thread and copies them
//   through page-locked memory on the copy queue.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emnist/arena.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/epoch_order.hpp"
#include "emnist/model.hpp"

namespace emnist {

// Every Subset handed to a feeder, and its ImageSet, must outlive the feeder unchanged: the
// resident feeder keeps their device copies keyed by address, and the pinned feeder's loader thread
// reads ahead of the batch asked for.
class Feeder {
 public:
  virtual ~Feeder() = default;
  // The training batches that follow take their samples from `subset` at the positions
  // epoch_positions gives.
  virtual void begin_epoch(const Subset& subset, uint64_t seed, int epoch) = 0;
  // Training batch `step` of the epoch: positions order[step * n, step * n + n).
  virtual void load_step(const BatchView& batch, int64_t step, int64_t n) = 0;
  // The samples at subset positions first..first+n-1, in order (evaluation).
  virtual void load_range(const BatchView& batch, const Subset& subset, int64_t first,
                          int64_t n) = 0;
  // The labels of the last load_range batch, on the host.
  virtual const std::vector<int32_t>& labels() const = 0;

  // Training batches (load_step) are drawn through `spec` from now on: math::augment_draw of
  // (spec, the epoch of begin_epoch, each image's row in its image set). Evaluation batches never
  // are. Every feeder gives the same augmented batches bit for bit.
  void augment_training(const math::AugmentSpec& spec) { augment_ = spec; }
  // Training epochs draw their samples class-balanced from now on (train.sampling = "balanced").
  void sample_balanced() { balanced_ = true; }

  // The subset positions of an epoch's training samples, in order: epoch_order(seed, epoch,
  // subset.size()), or with balanced sampling balanced_draws over the subset's labels.
  std::vector<int64_t> epoch_positions(const Subset& subset, uint64_t seed, int epoch) const;

 protected:
  bool augmenting() const { return math::augment_active(augment_); }
  bool balanced() const { return balanced_; }
  math::AugmentSpec augment_;

 private:
  bool balanced_ = false;
};

class BatchFeeder final : public Feeder {
 public:
  // Staging for up to max_batch images of image_size pixels, allocated once; batches are copied
  // into `backend`'s memory.
  BatchFeeder(Backend& backend, int64_t max_batch, int64_t image_size);

  void begin_epoch(const Subset& subset, uint64_t seed, int epoch) override;
  void load_step(const BatchView& batch, int64_t step, int64_t n) override;
  void load_range(const BatchView& batch, const Subset& subset, int64_t first, int64_t n) override;
  const std::vector<int32_t>& labels() const override { return labels_; }

  // The samples at subset positions `positions[0..n)`.
  void load(const BatchView& batch, const Subset& subset, const int64_t* positions, int64_t n);

 private:
  // epoch >= 0: augmented, as training batches of that epoch.
  template <typename PositionAt>
  void gather(const BatchView& batch, const Subset& subset, int64_t n, PositionAt position_at,
              int epoch);

  Backend& backend_;
  int64_t max_batch_, image_size_;
  std::vector<float> pixels_;
  std::vector<int32_t> labels_;
  const Subset* epoch_subset_ = nullptr;
  std::vector<int64_t> epoch_order_;
  int epoch_ = 0;
};

class ResidentFeeder final : public Feeder {
 public:
  ResidentFeeder(Backend& backend, int64_t image_size);

  // The first epoch uploads the subset's image set and indices; every epoch computes its rows on
  // the backend.
  void begin_epoch(const Subset& subset, uint64_t seed, int epoch) override;
  void load_step(const BatchView& batch, int64_t step, int64_t n) override;
  // The first call for a subset uploads its image set (if new) and its rows.
  void load_range(const BatchView& batch, const Subset& subset, int64_t first, int64_t n) override;
  const std::vector<int32_t>& labels() const override { return labels_; }

 private:
  struct ImagesOnDevice {
    DeviceBuffer pixels, labels;
    int64_t count = 0;
    int rows = 0, cols = 0;
  };
  struct RowsOnDevice {
    DeviceBuffer rows;
    const ImagesOnDevice* images = nullptr;
    int64_t count = 0;
  };
  const ImagesOnDevice& images_of(const ImageSet& set);
  const RowsOnDevice& indices_of(const Subset& subset);  // the subset's rows in subset order
  void upload_rows(RowsOnDevice& dst, const Subset& subset, const std::vector<int64_t>& rows);
  // epoch >= 0: augmented, as training batches of that epoch.
  void gather(const BatchView& batch, const RowsOnDevice& rows, int64_t first, int64_t n,
              int epoch);

  Backend& backend_;
  int64_t image_size_;
  std::map<const ImageSet*, ImagesOnDevice> images_;
  std::map<const Subset*, RowsOnDevice> eval_rows_;
  RowsOnDevice epoch_rows_;
  int epoch_ = 0;
  std::vector<int32_t> labels_;
};

// train.feeder: "resident" gives a ResidentFeeder, "pinned" a PinnedFeeder (pinned_feeder.hpp);
// "auto" a ResidentFeeder on CUDA and a BatchFeeder on the CPU (where the images are in memory
// already).
std::unique_ptr<Feeder> make_feeder(const TrainConfig& config, Backend& backend, int64_t max_batch,
                                    int64_t image_size);
// What make_feeder gives: "resident", "pinned" or "host".
std::string feeder_name(const TrainConfig& config, const Backend& backend);

}  // namespace emnist
