#pragma once
// The ops' argument checks, one function per op, which every backend calls before touching
// memory: a wrong shape is a bug in the caller, and reading past a buffer would hide it (on the
// GPU it would not even fail). Only views are checked, never the memory itself, so a backend adds
// the checks that need its memory (the CPU's label and row ranges) or its libraries' limits.
// Failures throw std::invalid_argument "<backend> backend: <op>: <what>".
#include <cstdint>
#include <string>

#include "emnist/backend.hpp"
#include "emnist/tensor.hpp"

namespace emnist::checks {

// The checks of one op on one backend's memory.
class OpCheck {
 public:
  OpCheck(Device device, const char* op) : device_(device), op_(op) {}
  [[noreturn]] void fail(const std::string& what) const;
  void require(bool ok, const char* what) const {
    if (!ok) fail(what);
  }
  // t is present, lives in this backend's memory, has the given rank (any when rank < 0) and the
  // plain layout.
  void tensor(const Tensor& t, int rank, const char* name) const;
  // As tensor(), in either layout (tensor.hpp): nchw16c only on the CPU, for rank 4 with C a
  // multiple of 16. For the ops that take it.
  void tensor_any_layout(const Tensor& t, int rank, const char* name) const;
  // Either empty, or as tensor() says.
  void optional(const Tensor& t, int rank, const char* name) const;
  void optional_any_layout(const Tensor& t, int rank, const char* name) const;
  void same_layout(const Tensor& a, const Tensor& b, const char* what) const;
  void same_shape(const Tensor& a, const Tensor& b, const char* what) const;
  // t is a vector of n elements (rank 1).
  void vector(const Tensor& t, int64_t n, const char* name) const;

 private:
  Device device_;
  const char* op_;
};

struct LinearDims {
  int64_t batch, in, out;
};
LinearDims linear_forward(Device d, const Tensor& x, const Tensor& w, const Tensor& b,
                          const Tensor& y);
LinearDims linear_backward(Device d, const Tensor& x, const Tensor& w, const Tensor& dy,
                           const Tensor& dx, const Tensor& dw, const Tensor& db);

struct ConvDims {
  int64_t n, c, h, w;  // input
  int64_t o, k;        // filters [O, C, K, K]
  int64_t ho, wo;      // output
  int64_t stride, pad;
};
ConvDims conv2d_forward(Device d, const Tensor& x, const Tensor& w, const Tensor& b,
                        const Tensor& y, Conv2dParams p);
ConvDims conv2d_backward(Device d, const Tensor& x, const Tensor& w, const Tensor& dy,
                         const Tensor& dx, const Tensor& dw, const Tensor& db, Conv2dParams p);

struct PoolDims {
  int64_t planes, h, w;  // the input's N * C planes of H x W; the output's are H/2 x W/2
};
PoolDims maxpool2d_forward(Device d, const Tensor& x, const Tensor& y, const int32_t* argmax);
PoolDims maxpool2d_backward(Device d, const Tensor& dy, const int32_t* argmax, const Tensor& dx);
// planes = N * C of x [N, C, H, W] (dx backward); h, w its plane's.
PoolDims global_avgpool_forward(Device d, const Tensor& x, const Tensor& y);
PoolDims global_avgpool_backward(Device d, const Tensor& dy, const Tensor& dx);

struct BatchNormDims {
  int64_t n, c, s;  // s: spatial positions per channel and sample (1 for [N, C])
  int64_t count() const { return n * s; }  // elements per channel
  int64_t numel() const { return n * c * s; }
};
BatchNormDims batchnorm_forward_train(Device d, const Tensor& x, const Tensor& gamma,
                                      const Tensor& beta, const Tensor& running_mean,
                                      const Tensor& running_var, const Tensor& y,
                                      const Tensor& save_mean, const Tensor& save_invstd);
BatchNormDims batchnorm_forward_infer(Device d, const Tensor& x, const Tensor& gamma,
                                      const Tensor& beta, const Tensor& running_mean,
                                      const Tensor& running_var, const Tensor& y);
BatchNormDims batchnorm_backward(Device d, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                 const Tensor& save_mean, const Tensor& save_invstd,
                                 const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta);
// The activation of a batch norm with p.activate is a known kind; p.residual, if given, is shaped
// as x and comes without dropout.
void batchnorm_params(Device d, const char* op, const BatchNormParams& p, const Tensor& x);
// With p.dropout.p != 0 (training): p in (0, 1), after an activation, scalars given, and
// p.dropout.activated shaped as y.
void batchnorm_dropout(Device d, const char* op, const BatchNormParams& p, const Tensor& y);
// batchnorm_backward's checks, and y as x, beta as gamma, p.activate set, no p.residual,
// batchnorm_dropout's.
BatchNormDims batchnorm_activation_backward(Device d, const Tensor& x, const Tensor& y,
                                            const Tensor& dy, const Tensor& gamma,
                                            const Tensor& beta, const Tensor& save_mean,
                                            const Tensor& save_invstd, const Tensor& dx,
                                            const Tensor& dgamma, const Tensor& dbeta,
                                            const BatchNormParams& p);

void activation_forward(Device d, Activation a, const Tensor& x, const Tensor& y);
void activation_backward(Device d, Activation a, const Tensor& y, const Tensor& dy,
                         const Tensor& dx);
// op: dropout_forward (in = x, out = y) or dropout_backward (in = dy, out = dx).
void dropout(Device d, const char* op, const Tensor& in, const Tensor& out, float p,
             const StepScalars* scalars);

void ema_update(Device d, const Tensor& average, const Tensor& values, float decay,
                const StepScalars* scalars);

// The number of classes; label_smoothing in [0, 1).
int64_t softmax_cross_entropy(Device d, const Tensor& logits, const int32_t* labels,
                              const Tensor& dlogits, const CrossEntropyParams& p);
int64_t softmax(Device d, const Tensor& logits, const Tensor& probs);
int64_t confusion_accumulate(Device d, const Tensor& logits, const int32_t* labels,
                             const int64_t* confusion);
void loss_accumulate(Device d, const float* value, const double* sum, const StepScalars* scalars,
                     const int64_t* first_nonfinite);

void regularize(Device d, const Tensor& weights, const Tensor& grads);
void optimizer_step(Device d, const OptimizerParams& o, const Tensor& params, const Tensor& grads,
                    const Tensor& state1, const Tensor& state2, const StepScalars* scalars);

void epoch_rows(Device d, const int64_t* indices, int64_t count, const int64_t* rows);
void gather_batch(Device d, const uint8_t* images, const int32_t* labels, const int64_t* rows,
                  const Tensor& x, const int32_t* y, const BatchAugment* augment);
void fill(Device d, const Tensor& t);

}  // namespace emnist::checks
