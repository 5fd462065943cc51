#pragma once
// The CUDA backend: every op of the Backend contract on one GPU, all of its work queued on one
// stream that the backend owns. Matrix products go through cuBLASLt, convolutions through cuDNN,
// everything else through the kernels in kernels/, which call the same per-element formulas
// (element_math.hpp) as the CPU backend.
//
// Steady state: once every shape has been seen, an op allocates nothing and never waits for the
// GPU (plans, descriptors and workspaces are cached per shape and only grow), so a whole training
// step can be captured from the stream as a CUDA graph. Only copy_to_host, synchronize, release
// (cudaFree), event_wait and a copy_from_host out of page-locked memory wait.
//
// Determinism: the kernels use no float atomics and reduce in a fixed order; cuBLASLt runs a fixed
// algorithm per shape; with deterministic = true cuDNN is limited to deterministic algorithms.
// Then the same inputs give the same bits on the same GPU, run after run.
//
// One backend object is used by one host thread at a time.
#include <memory>
#include <vector>

#include "cuda_options.hpp"
#include "cudnn_conv.hpp"
#include "device_memory.hpp"
#include "emnist/backend.hpp"
#include "handles.hpp"
#include "kernels/kernels.hpp"
#include "lt_gemm.hpp"

namespace emnist::cuda {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaOptions& options = {});
  ~CudaBackend() override;

  Device device() const override { return Device::cuda; }
  std::string name() const override;
  const CudaOptions& options() const { return options_; }
  cudaStream_t stream() const { return stream_.get(); }

  void* allocate(size_t bytes) override;
  void release(void* ptr) override;
  // From pageable memory the runtime stages the bytes before returning, so src may change right
  // after; from page-locked memory this waits for the copy, for the same guarantee.
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  // Waits for the stream: the bytes are on the host when this returns.
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(Tensor t, float value) override;
  void zero(void* ptr, size_t bytes) override;
  void synchronize() override;
  // Every device_malloc of the process (this backend's buffers and the library workspaces).
  MemoryStats memory_stats() const override;
  size_t available_memory() const override;  // cudaMemGetInfo's free bytes
  // Page-locked host memory (cudaMallocHost); the copy queue is a second stream; events are
  // cudaEvent_t without timing.
  void* host_allocate(size_t bytes) override;
  void host_release(void* ptr) override;
  void copy_from_host_async(void* dst, const void* src, size_t bytes, Queue queue) override;
  void copy_to_host_async(void* dst, const void* src, size_t bytes, Queue queue) override;
  void* event_create() override;
  void event_destroy(void* event) override;
  void event_record(void* event, Queue queue) override;
  void queue_wait(Queue queue, void* event) override;
  bool event_done(void* event) override;
  void event_wait(void* event) override;
  void range_push(const char* name) override;
  void range_pop() override;
  void profiler_start() override;
  void profiler_stop() override;
  bool capture_begin() override;
  int capture_end() override;
  void capture_abort() override;
  void replay(int graph) override;

  void linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) override;
  void linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) override;

  void conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) override;
  // The cuDNN algorithms chosen for this convolution's directions so far, in words (for tests).
  std::string conv2d_algorithms(Tensor x, Tensor w, Tensor y, Conv2dParams p) const;
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
  CudaOptions options_;
  Stream stream_;
  Stream copy_stream_;  // Queue::copy
  cudaStream_t queue(Queue q) const {
    return q == Queue::copy ? copy_stream_.get() : stream_.get();
  }
  void bind_calling_thread() const;  // makes train.device the calling thread's device
  void dropout(const char* op, Tensor in, Tensor out, float p, uint64_t seed, uint32_t layer,
               const StepScalars* scalars);
  std::unique_ptr<LtGemm> gemm_;
  std::unique_ptr<CudnnConv> conv_;
  std::vector<GraphExec> graphs_;
  // The chunks of per-channel work over [n, c, s] for this GPU (batch norm, bias gradients, the
  // L1/L2 penalty) and the scratch their sums go to, grown to fit before its address is taken.
  struct ChannelWork {
    kernels::ChannelSplit split;
    void* scratch;
  };
  ChannelWork channel_split(const char* op, int64_t n, int64_t c, int64_t s);
  int multiprocessors_ = 1;
  Scratch shuffle_scratch_{"the epoch shuffle"};
  Scratch channel_scratch_{"per-channel chunk sums"};
};

}  // namespace emnist::cuda
