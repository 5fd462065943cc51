#pragma once
// The pinned feeder (train.feeder = "pinned"): a loader thread gathers each batch's uint8 images
// and labels on the host, ahead of the step that needs them, into a ring of page-locked buffers;
// the copies to the device run on the backend's copy queue, and the compute queue normalises the
// batch into the model's input with Backend::gather_batch. Events order the three: a host buffer
// is refilled only after its copy is done, a device buffer is overwritten only after the gather
// that read it is done, and a gather starts only after its copy. The host never waits for the
// device unless the device is a whole ring behind the loader.
//
// Batches are the other feeders' bit for bit: the same epoch order (epoch_order on the host) and
// the same pixel formula (math::pixel_value, in gather_batch). The loader works through a job, a
// run of consecutive batches: an epoch's training steps, or the evaluation ranges of a split; a
// request that does not continue the job starts a new one at the batch asked for.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "emnist/arena.hpp"
#include "train/batches.hpp"
#include "train/overlap.hpp"

namespace emnist {

class PinnedFeeder final : public Feeder {
 public:
  // A ring of `slots` batches of up to max_batch images of image_size pixels, on the host
  // (page-locked) and on the backend, allocated once.
  PinnedFeeder(Backend& backend, int64_t max_batch, int64_t image_size, int slots = 4);
  ~PinnedFeeder() override;  // stops the loader, and waits for copies still reading the ring
  PinnedFeeder(const PinnedFeeder&) = delete;
  PinnedFeeder& operator=(const PinnedFeeder&) = delete;

  // Starts loading the epoch's first batches of max_batch samples.
  void begin_epoch(const Subset& subset, uint64_t seed, int epoch) override;
  void load_step(const BatchView& batch, int64_t step, int64_t n) override;
  // Ranges that follow each other (first advancing by n) continue one job, so the loader works
  // ahead through a split's evaluation too.
  void load_range(const BatchView& batch, const Subset& subset, int64_t first, int64_t n) override;
  const std::vector<int32_t>& labels() const override { return labels_; }

 private:
  // Batch k of a job: positions offset + k * batch .. (+ batch, or the end of the subset), mapped
  // through order (when not empty) to subset indices.
  struct Job {
    const Subset* subset = nullptr;
    const std::vector<int64_t>* order = nullptr;  // nullptr: positions in subset order
    int64_t offset = 0, batch = 0;
    int64_t end = 0;  // batches in the job
    int64_t count(int64_t k) const;
  };
  enum class SlotState { free, filling, filled, issued };
  struct Slot {
    SlotState state = SlotState::free;
    int64_t job = -1, batch = -1;  // what a filled slot holds
    int64_t samples = 0;
    Event copied, gathered;  // the copy out of the host buffer; the gather out of the device one
  };

  void loader();
  void fill(const Job& job, int64_t k, int slot);
  // Starts job `job` at batch `first` (main thread); the loader drops what it had not handed over.
  void start(const Job& job, int64_t first);
  // Hands batch k of the current job to the model (main thread), waiting for the loader if needed.
  void consume(const BatchView& batch, int64_t k, int64_t n, bool keep_labels);
  void check_input(const BatchView& batch, const Subset& subset, int64_t n) const;

  Backend& backend_;
  int64_t max_batch_, image_size_;
  int slot_count_;
  size_t pixels_offset_ = 0, labels_offset_ = 0, ids_offset_ = 0, slot_bytes_ = 0;
  HostBuffer host_;      // slot_count_ slots of slot_bytes_
  DeviceBuffer device_;  // the same layout on the backend, then the rows 0..max_batch-1
  int64_t* iota_ = nullptr;
  std::vector<Slot> slots_;

  // The main thread's view.
  const Subset* epoch_subset_ = nullptr;
  std::vector<int64_t> epoch_order_;
  int epoch_ = 0;
  bool training_job_ = false;  // the current job is the epoch's training batches
  int64_t next_ = 0;           // the batch of the current job the main thread takes next
  std::vector<int32_t> labels_;

  // Shared with the loader, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  Job job_;
  int64_t job_id_ = 0;        // advanced by start()
  int64_t loader_next_ = 0;   // the batch of job job_id_ the loader fills next
  bool loader_busy_ = false;  // filling a slot without the lock
  bool stop_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace emnist
