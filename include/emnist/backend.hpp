#pragma once
// The backend contract: one method per op and per direction. Layers only ever call this interface,
// so every op has exactly two implementations (CpuBackend, CudaBackend) that a test can compare.
//
// Conventions for every op:
// - Tensors live in this backend's memory. Images are NCHW; a 1-d batch is [N, C].
// - Outputs are overwritten, never accumulated into, unless the name says "accumulate".
// - A gradient output whose view is empty (data == nullptr) is not computed.
// - Step scalars (learning rate, step counter) are read from backend memory, so a captured CUDA
//   graph can be replayed without re-capture.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emnist/element_math.hpp"
#include "emnist/memory_tracker.hpp"
#include "emnist/tensor.hpp"

namespace emnist {

enum class ActivationKind { relu, leaky_relu, elu };

struct Activation {
  ActivationKind kind = ActivationKind::relu;
  float leaky_slope = 0.01f;  // in (0, 1)
  float elu_alpha = 1.0f;     // > 0
};

struct Conv2dParams {
  int stride = 1;
  int pad = 0;
  // Backward: dx += the input gradient rather than dx = (a residual block's body, whose input
  // gradient already holds the shortcut's), in the convolution's own output pass.
  bool accumulate_dx = false;
};

// Values that change every step, in backend memory.
struct StepScalars {
  float lr = 0.0f;
  float pad_ = 0.0f;
  int64_t step = 0;  // optimizer steps taken before this one (Adam's t is step + 1)
};

// Inverted dropout after batch norm's activation, in the same pass (training only; p == 0: none).
// The mask is dropout_forward's for (seed, layer, scalars->step), element for element, so the
// result is the separate ops' bit for bit. The forward also writes the activation's output before
// dropout to `activated` ([N, C, ...] like y), for the backward's default composition (the CPU's
// own backward recomputes it from x).
struct BatchNormDropout {
  float p = 0.0f;
  uint64_t seed = 0;
  uint32_t layer = 0;
  const StepScalars* scalars = nullptr;
  Tensor activated;
};

// The softmax cross-entropy's target and weights (softmax_cross_entropy).
struct CrossEntropyParams {
  float label_smoothing = 0.0f;
  const float* class_weights = nullptr;  // [classes] in backend memory, or none
};

// Augmentation of a gathered batch (gather_batch).
struct BatchAugment {
  math::AugmentSpec spec;
  int epoch = 0;
  const int64_t* ids = nullptr;
  int rows = 0, cols = 0;
};

struct BatchNormParams {
  float momentum = 0.1f;  // running = (1 - momentum) * running + momentum * batch (PyTorch)
  float eps = 1e-5f;
  // y = activation(batch norm of x): the activation that follows batch norm, in the same pass.
  bool activate = false;
  Activation activation;
  BatchNormDropout dropout;  // needs activate
  // Forward only (training and inference), without dropout: y = activation(batch norm of x +
  // residual), a residual block's shortcut ([N, C, ...] like x) added before the activation in the
  // same pass, the bits of batch norm, add and the activation as separate ops. Its backward is the
  // activation's, then batchnorm_backward from the gradient at the sum (which the shortcut needs
  // too), so batchnorm_activation_backward refuses it. Empty: none.
  Tensor residual;
};

enum class OptimizerKind { sgd, adam, adamw, rmsprop };

// The backend's two queues of work: ops run in the order they were issued to their queue. On CUDA
// each is a stream, so copies on the copy queue overlap with the compute queue's kernels.
enum class Queue { compute, copy };

struct OptimizerParams {
  OptimizerKind kind = OptimizerKind::adam;
  float momentum = 0.0f;               // sgd, rmsprop
  bool nesterov = false;               // sgd
  float beta1 = 0.9f, beta2 = 0.999f;  // adam, adamw
  float alpha = 0.99f;                 // rmsprop smoothing
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // L2 coupled into the gradient; decoupled for adamw
};

// One named range's total over a profiled window: how often it was entered and how long it took,
// nested ranges included; depth 0 is outermost.
struct RangeTime {
  std::string name;
  int depth = 0;
  int64_t count = 0;
  double seconds = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;
  // Whether a model keeps its [N, C, H, W] activations (C a multiple of 16, more than one position
  // per plane) in the nchw16c layout (tensor.hpp) where the layers beside them take it: conv2d,
  // batch norm without dropout, the activations, max-pooling and global average pooling's input.
  // The CPU's convolution kernels then skip their reorders; the results are the same bits.
  virtual bool nchw16c_activations() const { return false; }

  // ---- memory -----------------------------------------------------------------------------------
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) = 0;
  virtual void copy_from_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // within the backend
  virtual void fill(Tensor t, float value) = 0;
  virtual void zero(void* ptr, size_t bytes) = 0;
  virtual void synchronize() = 0;
  // This backend's own allocations, library workspaces included (not the CUDA context).
  virtual MemoryStats memory_stats() const = 0;
  // Bytes an allocation could still get now (the machine's available memory; the GPU's free
  // memory), so that what cannot fit is refused before it is asked for.
  virtual size_t available_memory() const = 0;

  // ---- overlap: page-locked host memory, asynchronous copies, events ----------------------------
  // Every op above and below is issued to the compute queue. An asynchronous copy only starts when
  // its queue reaches it: the host may touch its host memory again (overwrite the source, read the
  // destination) once an event recorded on that queue after the copy is done. On the CPU every op
  // has finished when it returns, so every event is always done.
  virtual void* host_allocate(size_t bytes) = 0;  // page-locked on CUDA, so copies can overlap
  virtual void host_release(void* ptr) = 0;
  virtual void copy_from_host_async(void* dst, const void* src, size_t bytes, Queue queue) = 0;
  virtual void copy_to_host_async(void* dst, const void* src, size_t bytes, Queue queue) = 0;
  virtual void* event_create() = 0;
  virtual void event_destroy(void* event) = 0;
  // Marks the point after every op issued to `queue` so far (an event never recorded is done).
  virtual void event_record(void* event, Queue queue) = 0;
  // Ops issued to `queue` from now on start after the event's point.
  virtual void queue_wait(Queue queue, void* event) = 0;
  // event_done never waits; event_wait blocks the calling thread. Both may be called from any host
  // thread, while another thread issues ops.
  virtual bool event_done(void* event) = 0;
  virtual void event_wait(void* event) = 0;

  // ---- profiling: named ranges (NVTX on CUDA, timed on the host on the CPU) and the profiler's --
  // capture window (cudaProfilerStart/Stop), for `ncu --profile-from-start off` and
  // `nsys profile --capture-range=cudaProfilerApi`.
  virtual void range_push(const char* name) = 0;
  virtual void range_pop() = 0;
  virtual void profiler_start() = 0;
  virtual void profiler_stop() = 0;
  // The time spent in each range between profiler_start and profiler_stop, where the backend can
  // measure it itself (the CPU, whose ops are done when they return); empty where a profiler tool
  // does it (CUDA: Nsight).
  virtual std::vector<RangeTime> range_times() const { return {}; }

  // ---- graphs: the ops issued between capture_begin and capture_end, replayed as one launch -----
  // capture_begin returns false where there are no graphs (the CPU): ops then run as issued.
  // Captured ops do not run; capture_end returns a handle for replay, or -1 when the capture
  // failed (then nothing ran: issue the ops again without capturing). capture_abort ends a capture
  // that an exception interrupted. A replay reads the memory the ops were given at capture, so
  // everything that changes per step lives in backend memory (StepScalars).
  virtual bool capture_begin() = 0;
  virtual int capture_end() = 0;
  virtual void capture_abort() = 0;
  virtual void replay(int graph) = 0;

  // ---- linear: x [B, I], w [O, I], b [O] (may be empty), y [B, O]; y = x w^T + b ----------------
  virtual void linear_forward(Tensor x, Tensor w, Tensor b, Tensor y) = 0;
  // dx [B, I], dw [O, I], db [O]; each may be empty.
  virtual void linear_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) = 0;

  // ---- conv2d: x [N, C, H, W], w [O, C, K, K], b [O] (may be empty), y [N, O, Ho, Wo] -----------
  // Ho = (H + 2 pad - K) / stride + 1. Cross-correlation, as cuDNN and PyTorch compute it. x (with
  // dx) and y (with dy) may each be nchw16c on the CPU.
  virtual void conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) = 0;
  virtual void conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                               Conv2dParams p) = 0;

  // ---- max-pool 2x2, stride 2: x [N, C, H, W], y [N, C, H/2, W/2] (floor) -----------------------
  // argmax holds, per output element, the index within its input plane (h * W + w) of the maximum
  // (the first one in row-major order on ties).
  // On the CPU x (with dx) may be nchw16c, and y (with dy and argmax, which lies as y does) too, or
  // plain.
  virtual void maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) = 0;
  virtual void maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) = 0;

  // ---- global average pooling: x [N, C, H, W] (nchw16c too, on the CPU), y [N, C] --------------
  // y = the plane's sum in row-major order, divided by H * W; dx = dy / (H * W) over the plane
  // (math::spatial_mean, math::spatial_mean_grad).
  virtual void global_avgpool_forward(Tensor x, Tensor y) = 0;
  virtual void global_avgpool_backward(Tensor dy, Tensor dx) = 0;

  // ---- batch norm over [N, C] or [N, C, H, W]: statistics per channel C -------------------------
  // On the CPU [N, C, H, W] may be nchw16c without dropout: x, y, dy, dx and the residual alike.
  // Training: normalise with the batch's biased variance, update running_var with the unbiased one
  // (PyTorch), and keep mean and 1/sqrt(var + eps) for backward.
  virtual void batchnorm_forward_train(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                       Tensor running_var, Tensor y, Tensor save_mean,
                                       Tensor save_invstd, BatchNormParams p) = 0;
  virtual void batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                       Tensor running_var, Tensor y, BatchNormParams p) = 0;
  virtual void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean,
                                  Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta) = 0;
  // The backward of a forward with p.activate: dy is the gradient of the forward's output, y the
  // activation's output (with dropout: p.dropout.activated, before dropout), and dx, dgamma and
  // dbeta are batchnorm_backward's. beta is the forward's, so that a backend may recompute y from x
  // instead of reading it. The default (two or three passes over memory): dropout's backward into
  // dx, the activation's backward into dx, then batchnorm_backward from dx in place; it needs dx.
  virtual void batchnorm_activation_backward(Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                             Tensor beta, Tensor save_mean, Tensor save_invstd,
                                             Tensor dx, Tensor dgamma, Tensor dbeta,
                                             BatchNormParams p);

  // ---- activations: y may alias x; backward reads y (see element_math.hpp); any one layout ----
  virtual void activation_forward(Activation a, Tensor x, Tensor y) = 0;
  virtual void activation_backward(Activation a, Tensor y, Tensor dy, Tensor dx) = 0;

  // ---- inverted dropout: the mask is math::dropout_keep(seed, layer, scalars->step, i, p) -------
  virtual void dropout_forward(Tensor x, Tensor y, float p, uint64_t seed, uint32_t layer,
                               const StepScalars* scalars) = 0;
  virtual void dropout_backward(Tensor dy, Tensor dx, float p, uint64_t seed, uint32_t layer,
                                const StepScalars* scalars) = 0;

  // ---- loss: logits [B, C], labels [B] ----------------------------------------------------------
  // loss[0] = mean over the batch of the cross-entropy between softmax(logits) and the target:
  // the label's one-hot row, smoothed by p.label_smoothing in [0, 1) (1 - eps at the label plus
  // eps / classes everywhere, as PyTorch's CrossEntropyLoss(label_smoothing=eps)); computed stably
  // (max subtracted). With p.class_weights (backend memory, [classes]) a row counts w[label]: the
  // loss is sum w[label] * row loss / sum w[label] (PyTorch's weighted mean; with smoothing too the
  // row's weight is its label's). dlogits = d(loss)/d(logits) = (softmax - target) times the row's
  // share (1 / B, or w[label] / sum w), unless empty (math::cross_entropy_grad).
  virtual void softmax_cross_entropy(Tensor logits, const int32_t* labels, Tensor dlogits,
                                     float* loss, CrossEntropyParams p) = 0;
  virtual void softmax(Tensor logits, Tensor probs) = 0;  // rows of [B, C]

  // ---- regularisation over a span of weights: grad += l1 * sign(w) + l2 * w ---------------------
  // penalty[0] = l1 * sum|w| + l2 / 2 * sum w^2 (the term whose gradient that is).
  virtual void regularize(Tensor weights, Tensor grads, float l1, float l2, float* penalty) = 0;

  // ---- one optimizer pass over the flat parameter buffer ----------------------------------------
  // state1/state2: sgd velocity / -; adam m / v; rmsprop square_avg / momentum buffer. Zero at
  // start.
  virtual void optimizer_step(const OptimizerParams& o, Tensor params, Tensor grads, Tensor state1,
                              Tensor state2, const StepScalars* scalars) = 0;

  // ---- the weights' exponential moving average: average = math::ema_update(average, values,
  // math::ema_decay(decay, scalars->step)) element by element; two flat spans of one size, decay
  // in [0, 1).
  virtual void ema_update(Tensor average, Tensor values, float decay,
                          const StepScalars* scalars) = 0;

  // ---- batches ----------------------------------------------------------------------------------
  // rows[i] = indices[order[i]], order being the epoch's permutation of positions 0..count-1:
  // stably sorted by math::shuffle_key(seed, epoch, position), as epoch_order computes it on the
  // host. indices and rows [count] in backend memory.
  virtual void epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                          int64_t* rows) = 0;
  // For b < n = x.dim(0): x[b, :] = math::pixel_value(images[rows[b], :]) and y[b] =
  // labels[rows[b]]. images [count, pixels] uint8 (pixels = x.numel() / n), labels [count], rows
  // [n]: all in backend memory. A row outside [0, count) is an error on the CPU; the CUDA kernel
  // gives that sample NaN pixels and the label -1 (a NaN loss: the run stops at that step).
  // With `augment` (training batches), sample b is instead drawn through
  // math::augment_pixel(images[rows[b]], ..., math::augment_draw(spec, epoch, ids[b])): ids [n] in
  // backend memory name each sample (the dataset's row), images are rows x cols.
  virtual void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                            const int64_t* rows, Tensor x, int32_t* y,
                            const BatchAugment* augment) = 0;

  // ---- metrics ----------------------------------------------------------------------------------
  // confusion[true * C + predicted] += 1 for each row; predicted is the first maximal logit.
  virtual void confusion_accumulate(Tensor logits, const int32_t* labels, int64_t* confusion) = 0;
  // sum[0] += value[0] * count (a batch's mean loss into an epoch sum), in order. When
  // first_nonfinite is given (with scalars) and still negative, a NaN or infinite value sets it to
  // scalars->step: the device-side record of the first step that diverged.
  virtual void loss_accumulate(const float* value, double* sum, int64_t count,
                               const StepScalars* scalars, int64_t* first_nonfinite) = 0;
};

// A backend range for the life of the object. `name` must outlive it.
class ScopedRange {
 public:
  ScopedRange(Backend& backend, const char* name) : backend_(backend) { backend_.range_push(name); }
  ~ScopedRange() { backend_.range_pop(); }
  ScopedRange(const ScopedRange&) = delete;
  ScopedRange& operator=(const ScopedRange&) = delete;

 private:
  Backend& backend_;
};

// The CPU backend's convolutions. direct: oneDNN's direct algorithm, plain fp32 sums of products
// (the reference every other backend is tested against). winograd: oneDNN's own choice per shape,
// Winograd's F(4x4, 3x3) where it has kernels for the shape and this CPU (3x3, stride 1, channels
// in multiples of 16, AVX-512), whose transforms round more than direct sums do but far less than
// TF32 (train.precision = "tf32" on the CPU). bf16: the products' inputs (activations, weights,
// output gradients) rounded to bfloat16 and the sums in fp32, on AMX (train.precision = "bf16");
// a shape without AMX kernels for all three directions, or a CPU without AMX, stays direct fp32.
enum class CpuConvolution { direct, winograd, bf16 };

std::unique_ptr<Backend> make_cpu_backend(CpuConvolution convolution = CpuConvolution::direct);

// What the CPU backend runs on (`emnist info`): oneDNN's version, the instruction set it uses,
// the OpenMP threads, and whether train.precision's CPU modes have their kernels here.
struct CpuInfo {
  std::string library;    // "oneDNN 2.6.3"
  std::string isa;        // "AVX-512 with AMX", "AVX2", ...
  int threads = 1;        // OpenMP's maximum
  std::string loops;      // batch norm's and elementwise loops: "AVX-512", "AVX2", "SSE2"
  bool winograd = false;  // tf32: Winograd's 3x3 kernels (AVX-512)
  bool bf16_amx = false;  // bf16: bfloat16 convolutions on AMX
};
CpuInfo cpu_info();

}  // namespace emnist
