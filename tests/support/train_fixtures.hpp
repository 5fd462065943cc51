#pragma once
// Shared pieces of the model and training tests: small synthetic image sets, small model
// configurations, IDX files written from an image set, and a backend that counts allocations.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "support/synthetic_data.hpp"

namespace emnist::train_test {

// The synthetic image sets and IDX writer of tests/support, under the names these tests use.
using test::synthetic_images;
using test::write_idx;
Subset whole(const ImageSet& set);

ModelConfig small_mlp();  // hidden [64, 32, 16], batch norm, relu, no dropout
ModelConfig small_cnn();  // conv [8, pool, 16, pool], head [32], batch norm, relu, no dropout
// stem 8, stages [8, 16] of one block (strides 1, 2: the second with a projection), no head, relu,
// no dropout
ModelConfig small_resnet();

// A learnable 16-class set (synthetic_images) of `train` and `test` images written as IDX files
// into `dir`, and a configuration that trains small_mlp() on them for 3 epochs: dataset "idx",
// validation fraction 0.1, dropout 0.1, batch 32, lr 3e-3, progress every 5 steps.
Config synthetic_idx_run(const std::filesystem::path& dir, int64_t train_count, int64_t test_count,
                         uint64_t seed);

// Forwards every call to a CPU backend and counts allocate() calls and blocking reads.
class CountingBackend final : public Backend {
 public:
  CountingBackend();
  int64_t allocations = 0;
  int64_t blocking_reads = 0;  // copy_to_host and synchronize: the host waits for the device

  // With defer_async, the host learns late what the device did, as with a device that lags
  // behind it: a copy to the host writes its destination only when the device "catches up"; a copy
  // from the host takes its bytes at once (so the ops after it see them) but counts in
  // early_host_writes if its source changes before the host learns that it is done. The device
  // catches up to an event when a host thread waits for it, and entirely on a blocking read or
  // catch_up(); event_done tells whether it has got there. So code that reads a copy's destination
  // before its event is done reads stale bytes, and code that rewrites a source too early is
  // counted.
  bool defer_async = false;
  void catch_up();
  int64_t early_host_writes = 0;
  // Copies on the copy queue into device bytes that the compute queue wrote (zero, copy_from_host,
  // an asynchronous copy there) with no queue_wait on an event recorded after that write: on a GPU
  // the two writes could land in either order. Counted whether or not defer_async is set.
  int64_t unordered_copies = 0;

  Device device() const override { return inner_->device(); }
  std::string name() const override { return inner_->name(); }
  void* allocate(size_t bytes) override {
    ++allocations;
    return inner_->allocate(bytes);
  }
  void release(void* ptr) override { inner_->release(ptr); }
  void copy_from_host(void* d, const void* s, size_t n) override {
    note_compute_write(d, n);
    inner_->copy_from_host(d, s, n);
  }
  void copy_to_host(void* d, const void* s, size_t n) override {
    ++blocking_reads;
    catch_up();
    inner_->copy_to_host(d, s, n);
  }
  void copy(void* d, const void* s, size_t n) override { inner_->copy(d, s, n); }
  void fill(Tensor t, float v) override { inner_->fill(t, v); }
  void zero(void* p, size_t n) override {
    note_compute_write(p, n);
    inner_->zero(p, n);
  }
  void synchronize() override {
    ++blocking_reads;
    catch_up();
    inner_->synchronize();
  }
  MemoryStats memory_stats() const override { return inner_->memory_stats(); }
  size_t available_memory() const override { return inner_->available_memory(); }
  void* host_allocate(size_t bytes) override { return inner_->host_allocate(bytes); }
  void host_release(void* ptr) override { inner_->host_release(ptr); }
  void copy_from_host_async(void* d, const void* s, size_t n, Queue q) override;
  void copy_to_host_async(void* d, const void* s, size_t n, Queue q) override;
  void* event_create() override;
  void event_destroy(void*) override {}
  void event_record(void* e, Queue q) override;
  void queue_wait(Queue q, void* e) override;
  bool event_done(void* e) override;
  void event_wait(void* e) override;
  // Ranges are recorded: "+name" on push, "-" on pop.
  std::vector<std::string> ranges;
  void range_push(const char* name) override { ranges.push_back(std::string("+") + name); }
  void range_pop() override { ranges.push_back("-"); }
  void profiler_start() override { ranges.push_back("profiler start"); }
  void profiler_stop() override { ranges.push_back("profiler stop"); }
  bool capture_begin() override { return inner_->capture_begin(); }
  int capture_end() override { return inner_->capture_end(); }
  void capture_abort() override { inner_->capture_abort(); }
  void replay(int graph) override { inner_->replay(graph); }
  void linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) override {
    inner_->linear_forward(x, w, b, y);
  }
  void linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) override {
    inner_->linear_backward(x, w, dy, dx, dw, db);
  }
  void conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) override {
    inner_->conv2d_forward(x, w, b, y, p);
  }
  void conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                       Conv2dParams p) override {
    inner_->conv2d_backward(x, w, dy, dx, dw, db, p);
  }
  void maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) override {
    inner_->maxpool2d_forward(x, y, argmax);
  }
  void maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) override {
    inner_->maxpool2d_backward(dy, argmax, dx);
  }
  void global_avgpool_forward(Tensor x, Tensor y) override { inner_->global_avgpool_forward(x, y); }
  void global_avgpool_backward(Tensor dy, Tensor dx) override {
    inner_->global_avgpool_backward(dy, dx);
  }
  void batchnorm_forward_train(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor y,
                               Tensor sm, Tensor si, BatchNormParams p) override {
    inner_->batchnorm_forward_train(x, g, b, rm, rv, y, sm, si, p);
  }
  void batchnorm_forward_infer(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor y,
                               BatchNormParams p) override {
    inner_->batchnorm_forward_infer(x, g, b, rm, rv, y, p);
  }
  void batchnorm_backward(Tensor x, Tensor dy, Tensor g, Tensor sm, Tensor si, Tensor dx, Tensor dg,
                          Tensor db) override {
    inner_->batchnorm_backward(x, dy, g, sm, si, dx, dg, db);
  }
  void activation_forward(Activation a, Tensor x, Tensor y) override {
    inner_->activation_forward(a, x, y);
  }
  void activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) override {
    inner_->activation_backward(a, y, dy, dx);
  }
  void dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                       const StepScalars* s) override {
    inner_->dropout_forward(x, y, p, seed, layer, s);
  }
  void dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                        const StepScalars* s) override {
    inner_->dropout_backward(dy, dx, p, seed, layer, s);
  }
  void softmax_cross_entropy(Tensor l, const int32_t* y, Tensor dl, float* loss,
                             CrossEntropyParams p) override {
    inner_->softmax_cross_entropy(l, y, dl, loss, p);
  }
  void softmax(Tensor l, Tensor p) override { inner_->softmax(l, p); }
  void regularize(Tensor w, Tensor g, float l1, float l2, float* penalty) override {
    inner_->regularize(w, g, l1, l2, penalty);
  }
  void optimizer_step(const OptimizerParams& o, Tensor p, Tensor g, Tensor s1, Tensor s2,
                      const StepScalars* s) override {
    inner_->optimizer_step(o, p, g, s1, s2, s);
  }
  void ema_update(Tensor a, Tensor v, float decay, const StepScalars* s) override {
    inner_->ema_update(a, v, decay, s);
  }
  void epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                  int64_t* rows) override {
    inner_->epoch_rows(seed, epoch, indices, count, rows);
  }
  void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                    const int64_t* rows, Tensor x, int32_t* y,
                    const BatchAugment* augment) override {
    inner_->gather_batch(images, labels, count, rows, x, y, augment);
  }
  void confusion_accumulate(Tensor l, const int32_t* y, int64_t* c) override {
    inner_->confusion_accumulate(l, y, c);
  }
  void loss_accumulate(const float* v, double* sum, int64_t count, const StepScalars* s,
                       int64_t* first_nonfinite) override {
    inner_->loss_accumulate(v, sum, count, s, first_nonfinite);
  }

 private:
  struct PendingCopy {
    uint64_t sequence;
    std::function<void()> run;
  };
  struct EventState {
    uint64_t copies = 0;          // the last deferred copy issued before it was recorded
    uint64_t compute_writes = 0;  // the compute-queue writes ordered before it
  };
  struct ComputeWrite {
    const char *begin, *end;
    uint64_t sequence;
  };
  void defer(std::function<void()> run);
  void catch_up_to(uint64_t sequence);
  void note_compute_write(const void* d, size_t n);
  void check_copy_queue_write(const void* d, size_t n);

  std::unique_ptr<Backend> inner_;
  std::mutex mutex_;  // the deferred state below; the loader thread of a feeder waits on events
  std::deque<PendingCopy> pending_;
  uint64_t issued_ = 0, completed_ = 0;
  std::deque<EventState> events_;
  // The compute queue's writes that the copy queue has not been ordered after yet.
  std::vector<ComputeWrite> compute_writes_;
  uint64_t compute_write_count_ = 0, copy_queue_after_ = 0;
};

}  // namespace emnist::train_test
