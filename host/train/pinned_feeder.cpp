#include "train/pinned_feeder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace emnist {

int64_t PinnedFeeder::Job::count(int64_t k) const {
  return std::min(batch, subset->size() - offset - k * batch);
}

PinnedFeeder::PinnedFeeder(Backend& backend, int64_t max_batch, int64_t image_size, int slots)
    : backend_(backend), max_batch_(max_batch), image_size_(image_size), slot_count_(slots) {
  if (max_batch < 1 || image_size < 1 || slots < 2)
    throw std::invalid_argument("PinnedFeeder: needs a batch, an image size and two slots");
  ArenaPlan slot;
  pixels_offset_ = slot.add_array<uint8_t>(max_batch * image_size);
  labels_offset_ = slot.add_array<int32_t>(max_batch);
  ids_offset_ = slot.add_array<int64_t>(max_batch);  // each image's row: augmentation's sample id
  slot_bytes_ = slot.total();
  const size_t ring = slot_bytes_ * static_cast<size_t>(slots);
  host_ = HostBuffer(backend, ring);
  device_ = DeviceBuffer(backend, ring + sizeof(int64_t) * static_cast<size_t>(max_batch));
  // gather_batch reads a batch through rows; a slot's batch is in row order.
  iota_ = device_.at<int64_t>(ring);
  std::vector<int64_t> rows(static_cast<size_t>(max_batch));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  backend.copy_from_host(iota_, rows.data(), sizeof(int64_t) * rows.size());
  slots_.resize(static_cast<size_t>(slots));
  for (Slot& s : slots_) {
    s.copied = Event(backend);
    s.gathered = Event(backend);
    // The first copy into a slot waits for `gathered` on the copy queue: recorded here, after the
    // ring's zeroing and the row indices on the compute queue, so that copy cannot overtake them.
    s.gathered.record(Queue::compute);
  }
  thread_ = std::thread([this] { loader(); });
}

PinnedFeeder::~PinnedFeeder() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  // The ring is freed next: no copy may still be reading it.
  try {
    for (Slot& s : slots_) s.copied.wait();
  } catch (const std::exception& e) {
    spdlog::error("pinned feeder: waiting for its last copies failed: {}", e.what());
  }
}

void PinnedFeeder::loader() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // A slot can take the next batch once the main thread has handed its last batch over (issued)
    // or never used it (free).
    auto ready = [&] {
      if (stop_) return true;
      if (failure_ || job_.subset == nullptr || loader_next_ >= job_.end) return false;
      const SlotState state = slots_[static_cast<size_t>(loader_next_ % slot_count_)].state;
      return state == SlotState::free || state == SlotState::issued;
    };
    changed_.wait(lock, ready);
    if (stop_) return;
    const Job job = job_;
    const int64_t id = job_id_, k = loader_next_;
    const int s = static_cast<int>(k % slot_count_);
    Slot& slot = slots_[static_cast<size_t>(s)];
    const bool copy_may_run = slot.state == SlotState::issued;
    slot.state = SlotState::filling;
    loader_busy_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      if (copy_may_run) slot.copied.wait();
      fill(job, k, s);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    loader_busy_ = false;
    if (failure) {
      failure_ = failure;
      slot.state = SlotState::free;
    } else if (id == job_id_) {
      slot.state = SlotState::filled;
      slot.job = id;
      slot.batch = k;
      slot.samples = job.count(k);
      ++loader_next_;
    } else {
      slot.state = SlotState::free;  // the job changed while this batch was being filled
    }
    changed_.notify_all();
  }
}

void PinnedFeeder::fill(const Job& job, int64_t k, int slot) {
  const int64_t n = job.count(k), first = job.offset + k * job.batch;
  const Subset& subset = *job.subset;
  const ImageSet& source = *subset.source;
  const size_t base = slot_bytes_ * static_cast<size_t>(slot);
  uint8_t* pixels = host_.at<uint8_t>(base + pixels_offset_);
  int32_t* labels = host_.at<int32_t>(base + labels_offset_);
  int64_t* ids = host_.at<int64_t>(base + ids_offset_);
  for (int64_t b = 0; b < n; ++b) {
    int64_t position = first + b;
    if (job.order != nullptr) position = (*job.order)[static_cast<size_t>(position)];
    const int64_t index = subset.indices[static_cast<size_t>(position)];
    std::memcpy(pixels + b * image_size_, source.image(index), static_cast<size_t>(image_size_));
    labels[b] = source.labels[static_cast<size_t>(index)];
    ids[b] = index;
  }
}

void PinnedFeeder::start(const Job& job, int64_t first) {
  {
    const std::lock_guard lock(mutex_);
    if (failure_) std::rethrow_exception(failure_);
    ++job_id_;
    job_ = job;
    loader_next_ = first;
    // Batches filled for the old job are dropped; their copies are done (a slot is refilled only
    // after its copy), so the slots are free.
    for (Slot& s : slots_)
      if (s.state == SlotState::filled) s.state = SlotState::free;
  }
  next_ = first;
  changed_.notify_all();
}

void PinnedFeeder::consume(const BatchView& batch, int64_t k, int64_t n, bool keep_labels) {
  const Subset* subset = job_.subset;
  Slot& slot = slots_[static_cast<size_t>(k % slot_count_)];
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
      return failure_ ||
             (slot.state == SlotState::filled && slot.job == job_id_ && slot.batch == k);
    });
    if (failure_) std::rethrow_exception(failure_);
  }
  if (slot.samples != n) throw std::logic_error("PinnedFeeder: a batch of another size");
  const size_t base = slot_bytes_ * static_cast<size_t>(k % slot_count_);
  const size_t pixel_bytes = static_cast<size_t>(n * image_size_);
  const size_t label_bytes = sizeof(int32_t) * static_cast<size_t>(n);
  uint8_t* device_pixels = device_.at<uint8_t>(base + pixels_offset_);
  int32_t* device_labels = device_.at<int32_t>(base + labels_offset_);
  const int32_t* host_labels = host_.at<int32_t>(base + labels_offset_);
  // Into the device slot once the gather that last read it is done; the gather after the copy.
  slot.gathered.make_wait(Queue::copy);
  backend_.copy_from_host_async(device_pixels, host_.at<uint8_t>(base + pixels_offset_),
                                pixel_bytes, Queue::copy);
  backend_.copy_from_host_async(device_labels, host_labels, label_bytes, Queue::copy);
  // Training batches of an augmented run: the images' rows go along, as the samples' ids.
  const bool augment = training_job_ && augmenting();
  int64_t* device_ids = device_.at<int64_t>(base + ids_offset_);
  if (augment)
    backend_.copy_from_host_async(device_ids, host_.at<int64_t>(base + ids_offset_),
                                  sizeof(int64_t) * static_cast<size_t>(n), Queue::copy);
  slot.copied.record(Queue::copy);
  slot.copied.make_wait(Queue::compute);
  const BatchAugment augmentation{augment_, epoch_, device_ids, subset->source->rows,
                                  subset->source->cols};
  backend_.gather_batch(device_pixels, device_labels, n, iota_, batch.input(n), batch.labels,
                        augment ? &augmentation : nullptr);
  slot.gathered.record(Queue::compute);
  if (keep_labels) labels_.assign(host_labels, host_labels + n);
  {
    const std::lock_guard lock(mutex_);
    slot.state = SlotState::issued;
  }
  changed_.notify_all();
  ++next_;
}

void PinnedFeeder::check_input(const BatchView& batch, const Subset& subset, int64_t n) const {
  if (n < 1 || n > max_batch_ || n > batch.max_batch())
    throw std::invalid_argument("feeder: batch size out of range");
  if (subset.source->image_size() != image_size_ || batch.sample_size() != image_size_)
    throw std::invalid_argument("feeder: image size does not match the model input");
}

void PinnedFeeder::begin_epoch(const Subset& subset, uint64_t seed, int epoch) {
  if (subset.source->image_size() != image_size_)
    throw std::invalid_argument("feeder: image size does not match the model input");
  {
    // The loader may be reading the old order: stop its job before replacing it.
    std::unique_lock lock(mutex_);
    ++job_id_;
    job_ = Job{};
    changed_.wait(lock, [&] { return !loader_busy_; });
  }
  epoch_subset_ = &subset;
  epoch_order_ = epoch_positions(subset, seed, epoch);
  epoch_ = epoch;
  training_job_ = true;
  const int64_t batch = std::min(max_batch_, subset.size());
  if (batch > 0) start(Job{&subset, &epoch_order_, 0, batch, subset.size() / batch}, 0);
}

void PinnedFeeder::load_step(const BatchView& batch, int64_t step, int64_t n) {
  if (epoch_subset_ == nullptr) throw std::logic_error("feeder: load_step before begin_epoch");
  check_input(batch, *epoch_subset_, n);
  const int64_t steps = epoch_subset_->size() / n;
  if (step < 0 || step >= steps)
    throw std::invalid_argument("feeder: step beyond the epoch's order");
  if (!training_job_ || job_.batch != n || step != next_) {
    start(Job{epoch_subset_, &epoch_order_, 0, n, steps}, step);
    training_job_ = true;
  }
  consume(batch, step, n, false);
}

void PinnedFeeder::load_range(const BatchView& batch, const Subset& subset, int64_t first,
                              int64_t n) {
  check_input(batch, subset, n);
  if (first < 0 || first + n > subset.size())
    throw std::invalid_argument("feeder: batch outside the subset");
  const bool continues = !training_job_ && job_.subset == &subset && next_ < job_.end &&
                         first == job_.offset + next_ * job_.batch && n == job_.count(next_);
  if (!continues) {
    const int64_t rest = subset.size() - first;
    start(Job{&subset, nullptr, first, n, (rest + n - 1) / n}, 0);
    training_job_ = false;
  }
  consume(batch, next_, n, true);
}

}  // namespace emnist
