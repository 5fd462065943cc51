#include "support/train_fixtures.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "emnist/element_math.hpp"

namespace emnist::train_test {

Subset whole(const ImageSet& set) {
  Subset s;
  s.source = &set;
  s.indices.resize(static_cast<size_t>(set.count));
  std::iota(s.indices.begin(), s.indices.end(), int64_t{0});
  return s;
}

ModelConfig small_mlp() {
  ModelConfig c;
  c.kind = ModelKind::mlp;
  c.hidden = {64, 32, 16};
  c.dropout = 0.0;
  return c;
}

ModelConfig small_cnn() {
  ModelConfig c;
  c.kind = ModelKind::cnn;
  c.conv = {{false, 8}, {true, 0}, {false, 16}, {true, 0}};
  c.hidden = {32};
  c.dropout = 0.0;
  return c;
}

ModelConfig small_resnet() {
  ModelConfig c;
  c.kind = ModelKind::resnet;
  c.stem = 8;
  c.stages = {8, 16};
  c.blocks = {1, 1};
  c.strides = {1, 2};
  c.dropout = 0.0;
  return c;
}

Config synthetic_idx_run(const std::filesystem::path& dir, int64_t train_count, int64_t test_count,
                         uint64_t seed) {
  Config c;
  c.data = test::write_synthetic_idx(dir, train_count, test_count, seed);
  c.model = small_mlp();
  c.model.dropout = 0.1;
  c.train.epochs = 3;
  c.train.batch_size = 32;
  c.train.lr = 3e-3;
  c.train.log_every = 5;
  return c;
}

CountingBackend::CountingBackend() : inner_(make_cpu_backend()) {}

void CountingBackend::defer(std::function<void()> run) {
  const std::lock_guard lock(mutex_);
  pending_.push_back({++issued_, std::move(run)});
}

void CountingBackend::catch_up_to(uint64_t sequence) {
  const std::lock_guard lock(mutex_);
  while (!pending_.empty() && pending_.front().sequence <= sequence) {
    pending_.front().run();
    completed_ = pending_.front().sequence;
    pending_.pop_front();
  }
}

void CountingBackend::catch_up() { catch_up_to(UINT64_MAX); }

void CountingBackend::note_compute_write(const void* d, size_t n) {
  const std::lock_guard lock(mutex_);
  const char* begin = static_cast<const char*>(d);
  compute_writes_.push_back({begin, begin + n, ++compute_write_count_});
}

void CountingBackend::check_copy_queue_write(const void* d, size_t n) {
  const std::lock_guard lock(mutex_);
  const char *begin = static_cast<const char*>(d), *end = begin + n;
  std::erase_if(compute_writes_,
                [&](const ComputeWrite& w) { return w.sequence <= copy_queue_after_; });
  for (const ComputeWrite& w : compute_writes_) {
    if (w.begin < end && begin < w.end) {
      ++unordered_copies;
      return;
    }
  }
}

void CountingBackend::copy_from_host_async(void* d, const void* s, size_t n, Queue q) {
  if (q == Queue::compute)
    note_compute_write(d, n);
  else
    check_copy_queue_write(d, n);
  inner_->copy_from_host_async(d, s, n, q);
  if (!defer_async) return;
  // Until the host learns that this copy is done, its source must not change.
  auto bytes = std::make_shared<std::vector<char>>(static_cast<const char*>(s),
                                                   static_cast<const char*>(s) + n);
  defer([this, s, bytes] {
    if (std::memcmp(s, bytes->data(), bytes->size()) != 0) ++early_host_writes;
  });
}

void CountingBackend::copy_to_host_async(void* d, const void* s, size_t n, Queue q) {
  if (!defer_async) return inner_->copy_to_host_async(d, s, n, q);
  // The device's bytes as they are now, since the ops after this one run at once.
  auto bytes = std::make_shared<std::vector<char>>(n);
  inner_->copy_to_host(bytes->data(), s, n);
  defer([d, bytes] { std::memcpy(d, bytes->data(), bytes->size()); });
}

void* CountingBackend::event_create() {
  const std::lock_guard lock(mutex_);
  return &events_.emplace_back();
}

void CountingBackend::event_record(void* e, Queue q) {
  const std::lock_guard lock(mutex_);
  auto& state = *static_cast<EventState*>(e);
  state.copies = issued_;
  state.compute_writes = q == Queue::compute ? compute_write_count_ : copy_queue_after_;
}

void CountingBackend::queue_wait(Queue q, void* e) {
  if (q == Queue::copy) {
    const std::lock_guard lock(mutex_);
    copy_queue_after_ =
        std::max(copy_queue_after_, static_cast<const EventState*>(e)->compute_writes);
  }
  // Deferred or not, a copy's data is in place for the ops after it.
  if (!defer_async) inner_->queue_wait(q, e);
}

bool CountingBackend::event_done(void* e) {
  const std::lock_guard lock(mutex_);
  return static_cast<const EventState*>(e)->copies <= completed_ || pending_.empty();
}

void CountingBackend::event_wait(void* e) {
  uint64_t sequence = 0;
  {
    const std::lock_guard lock(mutex_);
    sequence = static_cast<const EventState*>(e)->copies;
  }
  catch_up_to(sequence);
}

}  // namespace emnist::train_test
