#pragma once
// The backend's own kernels, as host functions that launch them on a stream (and check the launch).
// Pointers are device memory; a pointer documented as nullable skips that output. Every reduction
// is taken in a fixed order (per-thread partial sums in double, then a block tree, then the blocks'
// sums in block order where one spans several), with integer atomics only, so every kernel gives
// bit-identical results run after run on the same GPU.
#include <cuda_runtime.h>

#include <cstdint>

#include "emnist/backend.hpp"

namespace emnist::cuda::kernels {

// ---- memory -------------------------------------------------------------------------------------
void fill(float* data, int64_t n, float value, cudaStream_t stream);
// Bytes of scratch epoch_rows needs for `count` positions.
size_t epoch_rows_scratch(int64_t count);
void epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count, int64_t* rows,
                void* scratch, size_t scratch_bytes, cudaStream_t stream);
void gather_batch(const uint8_t* images, const int32_t* labels, int64_t count, const int64_t* rows,
                  int64_t n, int64_t pixels, float* x, int32_t* y, const BatchAugment* augment,
                  cudaStream_t stream);

// ---- activations (math::relu etc.); y may alias x, dx may alias dy
// --------------------------------
void activation_forward(Activation a, const float* x, float* y, int64_t n, cudaStream_t stream);
void activation_backward(Activation a, const float* y, const float* dy, float* dx, int64_t n,
                         cudaStream_t stream);

// ---- inverted dropout: out = keep ? in / (1 - p) : 0, keep = math::dropout_keep(seed, layer,
// scalars->step, element, p); the step is read on the device ------------------------------------
void dropout(const float* in, float* out, int64_t n, float p, uint64_t seed, uint32_t layer,
             const StepScalars* scalars, cudaStream_t stream);

// ---- per-channel work over a [N, C, S] layout (S = H*W for images, 1 for [N, C])
// ------------------
// Each channel's N*S elements (N*S < 2^31) cut into chunks, a block each, so that layers with few
// channels still fill the GPU: chunk sums go to scratch of scratch_bytes(), then a second kernel
// adds each channel's in chunk order. channel_split sizes the chunks for the GPU at hand.
struct ChannelSplit {
  int64_t n, c, s;
  int64_t chunks;  // per channel
  size_t scratch_bytes() const { return static_cast<size_t>(c * chunks) * 2 * sizeof(double); }
};
ChannelSplit channel_split(int64_t n, int64_t c, int64_t s, int multiprocessors);

void bias_add(float* y, const float* bias, int64_t n, int64_t c, int64_t s, cudaStream_t stream);
// db[c] = sum over n, s of dy.
void bias_grad(const float* dy, float* db, const ChannelSplit& split, void* scratch,
               cudaStream_t stream);

// ---- batch norm over [N, C, S], statistics per channel, in two kernels over split's chunks:
// chunk sums into scratch, then the outputs. activation (nullable): the one that follows batch
// norm, applied to the output in the same pass; in backward its gradient is taken from its output
// y and dy where dy is read (y is not read without one). residual (nullable, x's size): added
// before the activation.
void batchnorm_forward_train(const float* x, const float* residual, const float* gamma,
                             const float* beta, float* running_mean, float* running_var, float* y,
                             float* save_mean, float* save_invstd, const ChannelSplit& split,
                             float momentum, float eps, const Activation* activation, void* scratch,
                             cudaStream_t stream);
void batchnorm_forward_infer(const float* x, const float* residual, const float* gamma,
                             const float* beta, const float* running_mean, const float* running_var,
                             float* y, int64_t n, int64_t c, int64_t s, float eps,
                             const Activation* activation, cudaStream_t stream);
// dx, dgamma, dbeta nullable; dx may alias dy.
void batchnorm_backward(const float* x, const float* y, const float* dy, const float* gamma,
                        const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                        float* dbeta, const ChannelSplit& split, const Activation* activation,
                        void* scratch, cudaStream_t stream);

// ---- max-pool 2x2 stride 2 over `planes` planes of h x w (output floor(h/2) x floor(w/2))
// ---------
void maxpool2x2_forward(const float* x, float* y, int32_t* argmax, int64_t planes, int64_t h,
                        int64_t w, cudaStream_t stream);
void maxpool2x2_backward(const float* dy, const int32_t* argmax, float* dx, int64_t planes,
                         int64_t h, int64_t w, cudaStream_t stream);

// ---- global average pooling of `planes` planes of `count` elements: y [planes], dx [planes,
// count]
void global_avgpool_forward(const float* x, float* y, int64_t planes, int64_t count,
                            cudaStream_t stream);
void global_avgpool_backward(const float* dy, float* dx, int64_t planes, int64_t count,
                             cudaStream_t stream);

// ---- softmax over rows of [batch, classes]
// ---------------------------------------------------------- dlogits (may alias logits) and loss
// nullable. A label outside [0, classes) makes its row's dlogits and the loss NaN (the host cannot
// check device labels without a synchronisation).
void softmax_cross_entropy(const float* logits, const int32_t* labels, float* dlogits, float* loss,
                           int64_t batch, int64_t classes, float label_smoothing,
                           const float* class_weights, cudaStream_t stream);
void softmax(const float* logits, float* probs, int64_t batch, int64_t classes,
             cudaStream_t stream);

// ---- L1/L2: grads (nullable) += l1 sign(w) + l2 w; penalty = l1 sum|w| + l2/2 sum w^2, over the
// weights as one channel of split (channel_split(n, 1, 1, ...)) ----------------------------------
void regularize(const float* weights, float* grads, int64_t n, float l1, float l2,
                cudaStream_t stream);
void regularize_penalty(const float* weights, const ChannelSplit& split, float l1, float l2,
                        float* penalty, void* scratch, cudaStream_t stream);

// ---- one pass of o.kind over n parameters; lr and step read from scalars on the device
// ------------- state1/state2 may be null where o does not use them (sgd without momentum: both;
// rmsprop without momentum: state2).
void optimizer_step(const OptimizerParams& o, float* params, const float* grads, float* state1,
                    float* state2, int64_t n, const StepScalars* scalars, cudaStream_t stream);
void ema_update(float* average, const float* values, int64_t n, float decay,
                const StepScalars* scalars, cudaStream_t stream);

// ---- metrics
// ---------------------------------------------------------------------------------------- Rows
// with a label outside [0, classes) are not counted.
void confusion_accumulate(const float* logits, const int32_t* labels, int64_t* confusion,
                          int64_t batch, int64_t classes, cudaStream_t stream);
void loss_accumulate(const float* value, double* sum, int64_t count, const StepScalars* scalars,
                     int64_t* first_nonfinite, cudaStream_t stream);

}  // namespace emnist::cuda::kernels
