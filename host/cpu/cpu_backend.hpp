#pragma once
// The CPU backend: the reference every CUDA kernel is compared against, and a usable trainer on its
// own. Plain loops over the shared element math, OpenMP across samples, channels or elements, and
// oneDNN's sgemm for every matrix product.
//
// Threading: one OpenMP pool. The backend splits GEMMs itself across the OpenMP threads in pieces
// of a fixed size (or calls sgemm per sample inside an OpenMP loop), and each sgemm runs on its
// calling thread, so no product's summation order depends on the thread count.
//
// Determinism: every reduction is computed in a fixed order that depends neither on timing nor on
// the thread count (per channel or per row serially, or in fixed-size groups combined in order), so
// the same inputs give bit-identical outputs run after run.
//
// Scratch memory (convolution buffers, partial sums) is grown on demand and kept: in steady state
// no call allocates. One backend object is used by one host thread at a time.
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/cpu_range_clock.hpp"
#include "emnist/backend.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

class OnednnConvPlans;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuConvolution convolution = CpuConvolution::direct);
  ~CpuBackend() override;
  CpuBackend(const CpuBackend&) = delete;
  CpuBackend& operator=(const CpuBackend&) = delete;

  Device device() const override { return Device::cpu; }
  std::string name() const override { return "cpu"; }
  bool nchw16c_activations() const override { return true; }

  void* allocate(size_t bytes) override;
  void release(void* ptr) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(Tensor t, float value) override;
  void zero(void* ptr, size_t bytes) override;
  void synchronize() override {}
  MemoryStats memory_stats() const override { return memory_.stats(); }
  size_t available_memory() const override;
  // Everything is done when it returns: host memory is ordinary memory, copies are immediate and
  // every event is done. The event handle is a non-null token that is never dereferenced.
  void* host_allocate(size_t bytes) override;
  void host_release(void* ptr) override;
  void copy_from_host_async(void* dst, const void* src, size_t bytes, Queue) override {
    copy_from_host(dst, src, bytes);
  }
  void copy_to_host_async(void* dst, const void* src, size_t bytes, Queue) override {
    copy_to_host(dst, src, bytes);
  }
  void* event_create() override { return this; }
  void event_destroy(void*) override {}
  void event_record(void*, Queue) override {}
  void queue_wait(Queue, void*) override {}
  bool event_done(void*) override { return true; }
  void event_wait(void*) override {}
  void range_push(const char* name) override { ranges_.push(name); }
  void range_pop() override { ranges_.pop(); }
  void profiler_start() override { ranges_.start(); }
  void profiler_stop() override { ranges_.stop(); }
  std::vector<RangeTime> range_times() const override { return ranges_.times(); }
  bool capture_begin() override { return false; }
  int capture_end() override { return -1; }
  void capture_abort() override {}
  void replay(int) override {}

  void linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) override;
  void linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) override;

  void conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) override;
  // oneDNN's implementations for this convolution (forward, backward data, backward weights), as
  // its verbose mode names them: which algorithm and instruction set the kernels use.
  std::string conv2d_implementations(Tensor x, Tensor w, Tensor y, Conv2dParams p);
  void conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                       Conv2dParams p) override;

  void maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) override;
  void maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) override;
  void global_avgpool_forward(Tensor x, Tensor y) override;
  void global_avgpool_backward(Tensor dy, Tensor dx) override;

  void batchnorm_forward_train(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                               Tensor running_var, Tensor y, Tensor save_mean, Tensor save_invstd,
                               BatchNormParams p) override;
  void batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                               Tensor running_var, Tensor y, BatchNormParams p) override;
  void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean, Tensor save_invstd,
                          Tensor dx, Tensor dgamma, Tensor dbeta) override;
  // One pass fewer than the default: the activation's gradient is taken inside batch norm's.
  void batchnorm_activation_backward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta,
                                     Tensor save_mean, Tensor save_invstd, Tensor dx, Tensor dgamma,
                                     Tensor dbeta, BatchNormParams p) override;

  void activation_forward(Activation a, Tensor x, Tensor y) override;
  void activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) override;

  void dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                       const StepScalars* scalars) override;
  void dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                        const StepScalars* scalars) override;

  void softmax_cross_entropy(Tensor logits, const int32_t* labels, Tensor dlogits, float* loss,
                             CrossEntropyParams p) override;
  void softmax(Tensor logits, Tensor probs) override;

  void regularize(Tensor weights, Tensor grads, float l1, float l2, float* penalty) override;

  void optimizer_step(const OptimizerParams& o, Tensor params, Tensor grads, Tensor state1,
                      Tensor state2, const StepScalars* scalars) override;
  void ema_update(Tensor average, Tensor values, float decay, const StepScalars* scalars) override;

  void epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                  int64_t* rows) override;
  void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                    const int64_t* rows, Tensor x, int32_t* y,
                    const BatchAugment* augment) override;
  void confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) override;
  void loss_accumulate(const float* value, double* sum, int64_t count, const StepScalars* scalars,
                       int64_t* first_nonfinite) override;

 private:
  template <class Activate>
  void batchnorm_backward_with(Activate activate, const checks::BatchNormDims& s, Tensor x,
                               Tensor dy, Tensor gamma, Tensor beta, Tensor save_mean,
                               Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta);

  MemoryTracker memory_;
  RangeClock ranges_;
  // oneDNN's convolution kernels, per shape and group size (cpu_conv2d.cpp).
  std::unique_ptr<OnednnConvPlans> conv_plans_;
  // Weight-gradient partial sums of a convolution, one per fixed group of samples.
  std::vector<float> conv_partials_;
  // Per-channel or per-row sums in double (bias gradients, batch-norm statistics, row losses).
  std::vector<double> sums_;
  // Batch norm's per-plane partial sums (two per sample and channel), combined per channel.
  std::vector<double> plane_sums_;
  // Per-channel float coefficients derived from those sums.
  std::vector<float> coefficients_;
  // A plane's activation gradients per OpenMP thread (batch norm with an activation, backward).
  std::vector<float> plane_rows_;
};

}  // namespace emnist::cpu
