#include "emnist/op_checks.hpp"

#include <stdexcept>

namespace emnist::checks {

void OpCheck::fail(const std::string& what) const {
  throw std::invalid_argument(std::string(device_ == Device::cpu ? "cpu" : "cuda") +
                              " backend: " + op_ + ": " + what);
}

void OpCheck::tensor(const Tensor& t, int rank, const char* name) const {
  tensor_any_layout(t, rank, name);
  // A view in the blocked layout read as a plain one would give wrong values, not an error.
  if (t.layout != Layout::plain)
    fail(std::string(name) + " is in the nchw16c layout, which this op does not take");
}

void OpCheck::tensor_any_layout(const Tensor& t, int rank, const char* name) const {
  if (t.empty()) fail(std::string(name) + " is empty");
  if (t.device != device_)
    fail(std::string(name) +
         (device_ == Device::cpu ? " is not in CPU memory" : " is not in GPU memory"));
  if (rank >= 0 && t.rank != rank) {
    fail(std::string(name) + " has rank " + std::to_string(t.rank) + ", expected " +
         std::to_string(rank));
  }
  for (int i = 0; i < t.rank; ++i) {
    if (t.dim(i) < 0) fail(std::string(name) + " has a negative dimension");
  }
  if (t.layout == Layout::nchw16c) {
    if (device_ != Device::cpu) fail(std::string(name) + ": the nchw16c layout is CPU-only");
    if (t.rank != 4 || t.dim(1) % 16 != 0)
      fail(std::string(name) + ": nchw16c needs [N, C, H, W] with C a multiple of 16");
  }
}

void OpCheck::optional(const Tensor& t, int rank, const char* name) const {
  if (!t.empty()) tensor(t, rank, name);
}

void OpCheck::optional_any_layout(const Tensor& t, int rank, const char* name) const {
  if (!t.empty()) tensor_any_layout(t, rank, name);
}

void OpCheck::same_layout(const Tensor& a, const Tensor& b, const char* what) const {
  if (a.layout != b.layout) fail(std::string(what) + " differ in layout");
}

void OpCheck::same_shape(const Tensor& a, const Tensor& b, const char* what) const {
  bool same = a.rank == b.rank;
  for (int i = 0; same && i < a.rank; ++i) same = a.dim(i) == b.dim(i);
  if (!same) fail(std::string(what) + " differ in shape");
}

void OpCheck::vector(const Tensor& t, int64_t n, const char* name) const {
  tensor(t, 1, name);
  if (t.dim(0) != n) {
    fail(std::string(name) + " has " + std::to_string(t.dim(0)) + " elements, expected " +
         std::to_string(n));
  }
}

namespace {

// x [B, I] and w [O, I]; the third view (y or dy) [B, O].
LinearDims linear_dims(const OpCheck& check, const Tensor& x, const Tensor& w, const Tensor& out,
                       const char* out_name, const char* out_shape) {
  check.tensor(x, 2, "x");
  check.tensor(w, 2, "w");
  check.tensor(out, 2, out_name);
  const LinearDims d{x.dim(0), x.dim(1), w.dim(0)};
  check.require(w.dim(1) == d.in, "w must be [O, I] with I = x's columns");
  check.require(out.dim(0) == d.batch && out.dim(1) == d.out, out_shape);
  return d;
}

// x [N, C, H, W], w [O, C, K, K]; the third view (y or dy) [N, O, Ho, Wo].
ConvDims conv_dims(const OpCheck& check, const Tensor& x, const Tensor& w, const Tensor& y,
                   Conv2dParams p) {
  // Activations in either layout (each of x and y its own), the weights plain.
  check.tensor_any_layout(x, 4, "x");
  check.tensor(w, 4, "w");
  check.tensor_any_layout(y, 4, "y/dy");
  check.require(p.stride >= 1 && p.pad >= 0, "stride must be >= 1 and pad >= 0");
  ConvDims d{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), 0, 0, p.stride, p.pad};
  check.require(w.dim(1) == d.c, "w must be [O, C, K, K] with C = x's channels");
  check.require(w.dim(3) == d.k && d.k >= 1, "kernels must be square");
  check.require(d.h + 2 * d.pad >= d.k && d.w + 2 * d.pad >= d.k,
                "kernel larger than padded input");
  d.ho = (d.h + 2 * d.pad - d.k) / d.stride + 1;
  d.wo = (d.w + 2 * d.pad - d.k) / d.stride + 1;
  check.require(y.dim(0) == d.n && y.dim(1) == d.o && y.dim(2) == d.ho && y.dim(3) == d.wo,
                "y/dy must be [N, O, Ho, Wo] with Ho = (H + 2 pad - K) / stride + 1");
  return d;
}

// A layer's gradients, each optional: dx shaped as x, dw as w, db one per output channel.
void gradients(const OpCheck& check, const Tensor& x, const Tensor& w, const Tensor& dx,
               const Tensor& dw, const Tensor& db, int64_t channels) {
  check.optional_any_layout(dx, x.rank, "dx");
  check.optional(dw, w.rank, "dw");
  if (!dx.empty()) {
    check.same_shape(dx, x, "dx and x");
    check.same_layout(dx, x, "dx and x");
  }
  if (!dw.empty()) check.same_shape(dw, w, "dw and w");
  if (!db.empty()) check.vector(db, channels, "db");
}

// x [N, C] or [N, C, H, W], and a second view of its shape (y, or dy).
BatchNormDims batchnorm_dims(const OpCheck& check, const Tensor& x, const Tensor& other,
                             const char* other_name, const char* pair) {
  check.tensor_any_layout(x, -1, "x");
  check.require(x.rank == 2 || x.rank == 4, "x must be [N, C] or [N, C, H, W]");
  check.tensor_any_layout(other, x.rank, other_name);
  check.same_shape(x, other, pair);
  check.same_layout(x, other, pair);
  return BatchNormDims{x.dim(0), x.dim(1), x.rank == 4 ? x.dim(2) * x.dim(3) : 1};
}

int64_t logits_classes(const OpCheck& check, const Tensor& logits) {
  check.tensor(logits, 2, "logits");
  const int64_t classes = logits.dim(1);
  check.require(classes >= 1, "logits need at least one class");
  return classes;
}

}  // namespace

LinearDims linear_forward(Device d, const Tensor& x, const Tensor& w, const Tensor& b,
                          const Tensor& y) {
  const OpCheck check(d, "linear_forward");
  const LinearDims dims = linear_dims(check, x, w, y, "y", "y must be [B, O]");
  if (!b.empty()) check.vector(b, dims.out, "b");
  return dims;
}

LinearDims linear_backward(Device d, const Tensor& x, const Tensor& w, const Tensor& dy,
                           const Tensor& dx, const Tensor& dw, const Tensor& db) {
  const OpCheck check(d, "linear_backward");
  const LinearDims dims = linear_dims(check, x, w, dy, "dy", "dy must be [B, O]");
  gradients(check, x, w, dx, dw, db, dims.out);
  return dims;
}

ConvDims conv2d_forward(Device d, const Tensor& x, const Tensor& w, const Tensor& b,
                        const Tensor& y, Conv2dParams p) {
  const OpCheck check(d, "conv2d_forward");
  const ConvDims dims = conv_dims(check, x, w, y, p);
  if (!b.empty()) check.vector(b, dims.o, "b");
  return dims;
}

ConvDims conv2d_backward(Device d, const Tensor& x, const Tensor& w, const Tensor& dy,
                         const Tensor& dx, const Tensor& dw, const Tensor& db, Conv2dParams p) {
  const OpCheck check(d, "conv2d_backward");
  const ConvDims dims = conv_dims(check, x, w, dy, p);
  gradients(check, x, w, dx, dw, db, dims.o);
  return dims;
}

namespace {

// in [N, C, H, W] and out [N, C, H/2, W/2]: x and y forward, dx and dy backward (checked in the
// order named).
PoolDims pool_dims(const OpCheck& check, const Tensor& first, const char* first_name,
                   const Tensor& second, const char* second_name, const Tensor& in,
                   const Tensor& out, const int32_t* argmax, const char* out_shape) {
  check.tensor_any_layout(first, 4, first_name);
  check.tensor_any_layout(second, 4, second_name);
  check.require(in.layout == Layout::nchw16c || out.layout == Layout::plain,
                "the pooled side may be nchw16c only where the input side is");
  check.require(argmax != nullptr, "argmax is null");
  const PoolDims dims{in.dim(0) * in.dim(1), in.dim(2), in.dim(3)};
  check.require(out.dim(0) == in.dim(0) && out.dim(1) == in.dim(1) && out.dim(2) == dims.h / 2 &&
                    out.dim(3) == dims.w / 2,
                out_shape);
  return dims;
}

}  // namespace

PoolDims maxpool2d_forward(Device d, const Tensor& x, const Tensor& y, const int32_t* argmax) {
  return pool_dims(OpCheck(d, "maxpool2d_forward"), x, "x", y, "y", x, y, argmax,
                   "y must be [N, C, H/2, W/2]");
}

PoolDims maxpool2d_backward(Device d, const Tensor& dy, const int32_t* argmax, const Tensor& dx) {
  return pool_dims(OpCheck(d, "maxpool2d_backward"), dy, "dy", dx, "dx", dx, dy, argmax,
                   "dy must be [N, C, H/2, W/2] of dx's [N, C, H, W]");
}

namespace {

PoolDims global_pool_dims(const OpCheck& check, const Tensor& planes, const char* planes_name,
                          const Tensor& means, const char* means_name) {
  check.tensor_any_layout(planes, 4, planes_name);
  check.tensor(means, 2, means_name);
  check.require(means.dim(0) == planes.dim(0) && means.dim(1) == planes.dim(1),
                "the means must be [N, C] of the planes' [N, C, H, W]");
  return PoolDims{planes.dim(0) * planes.dim(1), planes.dim(2), planes.dim(3)};
}

}  // namespace

PoolDims global_avgpool_forward(Device d, const Tensor& x, const Tensor& y) {
  return global_pool_dims(OpCheck(d, "global_avgpool_forward"), x, "x", y, "y");
}

PoolDims global_avgpool_backward(Device d, const Tensor& dy, const Tensor& dx) {
  return global_pool_dims(OpCheck(d, "global_avgpool_backward"), dx, "dx", dy, "dy");
}

namespace {
void activation_kind(const OpCheck& check, Activation a) {
  check.require(a.kind == ActivationKind::relu || a.kind == ActivationKind::leaky_relu ||
                    a.kind == ActivationKind::elu,
                "unknown activation kind");
}
}  // namespace

BatchNormDims batchnorm_forward_train(Device d, const Tensor& x, const Tensor& gamma,
                                      const Tensor& beta, const Tensor& running_mean,
                                      const Tensor& running_var, const Tensor& y,
                                      const Tensor& save_mean, const Tensor& save_invstd) {
  const OpCheck check(d, "batchnorm_forward_train");
  const BatchNormDims dims = batchnorm_dims(check, x, y, "y", "x and y");
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var, &save_mean, &save_invstd})
    check.vector(*t, dims.c, "gamma, beta, running and saved statistics");
  // PyTorch refuses this too: the unbiased variance of one value is undefined.
  check.require(dims.count() > 1, "training needs more than one value per channel");
  return dims;
}

BatchNormDims batchnorm_forward_infer(Device d, const Tensor& x, const Tensor& gamma,
                                      const Tensor& beta, const Tensor& running_mean,
                                      const Tensor& running_var, const Tensor& y) {
  const OpCheck check(d, "batchnorm_forward_infer");
  const BatchNormDims dims = batchnorm_dims(check, x, y, "y", "x and y");
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var})
    check.vector(*t, dims.c, "gamma, beta and running statistics");
  return dims;
}

BatchNormDims batchnorm_backward(Device d, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                 const Tensor& save_mean, const Tensor& save_invstd,
                                 const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  const OpCheck check(d, "batchnorm_backward");
  const BatchNormDims dims = batchnorm_dims(check, x, dy, "dy", "x and dy");
  for (const Tensor* t : {&gamma, &save_mean, &save_invstd})
    check.vector(*t, dims.c, "gamma and saved statistics");
  if (!dx.empty()) {
    check.tensor_any_layout(dx, x.rank, "dx");
    check.same_shape(x, dx, "x and dx");
    check.same_layout(x, dx, "x and dx");
  }
  if (!dgamma.empty()) check.vector(dgamma, dims.c, "dgamma");
  if (!dbeta.empty()) check.vector(dbeta, dims.c, "dbeta");
  return dims;
}

void batchnorm_params(Device d, const char* op, const BatchNormParams& p, const Tensor& x) {
  const OpCheck check(d, op);
  if (p.activate) activation_kind(check, p.activation);
  if (p.residual.empty()) return;
  check.tensor_any_layout(p.residual, x.rank, "residual");
  check.same_shape(x, p.residual, "x and residual");
  check.same_layout(x, p.residual, "x and residual");
  check.require(p.dropout.p == 0.0f, "a residual comes without dropout inside batch norm");
}

void batchnorm_dropout(Device d, const char* op, const BatchNormParams& p, const Tensor& y) {
  const BatchNormDropout& drop = p.dropout;
  if (drop.p == 0.0f) return;
  const OpCheck check(d, op);
  check.require(drop.p > 0.0f && drop.p < 1.0f, "dropout p must be in (0, 1)");
  check.require(p.activate, "dropout inside batch norm needs its activation (activate)");
  check.require(drop.scalars != nullptr, "dropout's scalars is null");
  // The mask is drawn by the plain layout's index.
  check.require(y.layout == Layout::plain, "dropout inside batch norm takes the plain layout only");
  check.tensor(drop.activated, y.rank, "dropout.activated");
  check.same_shape(y, drop.activated, "y and dropout.activated");
}

BatchNormDims batchnorm_activation_backward(Device d, const Tensor& x, const Tensor& y,
                                            const Tensor& dy, const Tensor& gamma,
                                            const Tensor& beta, const Tensor& save_mean,
                                            const Tensor& save_invstd, const Tensor& dx,
                                            const Tensor& dgamma, const Tensor& dbeta,
                                            const BatchNormParams& p) {
  const BatchNormDims dims =
      batchnorm_backward(d, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
  const OpCheck check(d, "batchnorm_activation_backward");
  check.tensor_any_layout(y, x.rank, "y");
  check.same_shape(x, y, "x and y");
  check.same_layout(x, y, "x and y");
  check.vector(beta, dims.c, "beta");
  check.require(p.activate, "the forward had no activation (BatchNormParams::activate)");
  check.require(p.residual.empty(),
                "with a residual, take the activation's backward, then batchnorm_backward");
  activation_kind(check, p.activation);
  batchnorm_dropout(d, "batchnorm_activation_backward", p, x);
  return dims;
}

void activation_forward(Device d, Activation a, const Tensor& x, const Tensor& y) {
  const OpCheck check(d, "activation_forward");
  activation_kind(check, a);
  // Element by element: either layout, the same for all.
  check.tensor_any_layout(x, -1, "x");
  check.tensor_any_layout(y, -1, "y");
  check.require(x.numel() == y.numel(), "x and y differ in size");
  check.same_layout(x, y, "x and y");
}

void activation_backward(Device d, Activation a, const Tensor& y, const Tensor& dy,
                         const Tensor& dx) {
  const OpCheck check(d, "activation_backward");
  activation_kind(check, a);
  check.tensor_any_layout(y, -1, "y");
  check.tensor_any_layout(dy, -1, "dy");
  check.tensor_any_layout(dx, -1, "dx");
  check.require(y.numel() == dy.numel() && y.numel() == dx.numel(), "y, dy and dx differ in size");
  check.same_layout(y, dy, "y and dy");
  check.same_layout(y, dx, "y and dx");
}

void dropout(Device d, const char* op, const Tensor& in, const Tensor& out, float p,
             const StepScalars* scalars) {
  const OpCheck check(d, op);
  check.tensor(in, -1, "input");
  check.tensor(out, -1, "output");
  check.require(in.numel() == out.numel(), "input and output differ in size");
  check.require(scalars != nullptr, "scalars is null");
  check.require(p >= 0.0f && p < 1.0f, "p must be in [0, 1)");
}

void ema_update(Device d, const Tensor& average, const Tensor& values, float decay,
                const StepScalars* scalars) {
  const OpCheck check(d, "ema_update");
  check.tensor(average, -1, "average");
  check.tensor(values, -1, "values");
  check.require(average.numel() == values.numel(), "average and values differ in size");
  check.require(decay >= 0.0f && decay < 1.0f, "decay must be in [0, 1)");
  check.require(scalars != nullptr, "scalars is null");
}

int64_t softmax_cross_entropy(Device d, const Tensor& logits, const int32_t* labels,
                              const Tensor& dlogits, const CrossEntropyParams& p) {
  const OpCheck check(d, "softmax_cross_entropy");
  check.tensor(logits, 2, "logits");
  check.require(labels != nullptr, "labels is null");
  check.require(p.label_smoothing >= 0.0f && p.label_smoothing < 1.0f,
                "label_smoothing must be in [0, 1)");
  if (!dlogits.empty()) {
    check.tensor(dlogits, 2, "dlogits");
    check.same_shape(logits, dlogits, "logits and dlogits");
  }
  return logits_classes(check, logits);
}

int64_t softmax(Device d, const Tensor& logits, const Tensor& probs) {
  const OpCheck check(d, "softmax");
  check.tensor(logits, 2, "logits");
  check.tensor(probs, 2, "probs");
  check.same_shape(logits, probs, "logits and probs");
  return logits_classes(check, logits);
}

int64_t confusion_accumulate(Device d, const Tensor& logits, const int32_t* labels,
                             const int64_t* confusion) {
  const OpCheck check(d, "confusion_accumulate");
  check.tensor(logits, 2, "logits");
  check.require(labels != nullptr && confusion != nullptr, "labels or confusion is null");
  return logits_classes(check, logits);
}

void loss_accumulate(Device d, const float* value, const double* sum, const StepScalars* scalars,
                     const int64_t* first_nonfinite) {
  const OpCheck check(d, "loss_accumulate");
  check.require(value != nullptr && sum != nullptr, "value or sum is null");
  check.require(first_nonfinite == nullptr || scalars != nullptr,
                "first_nonfinite needs the step scalars");
}

void regularize(Device d, const Tensor& weights, const Tensor& grads) {
  const OpCheck check(d, "regularize");
  check.tensor(weights, -1, "weights");
  if (!grads.empty()) {
    check.tensor(grads, -1, "grads");
    check.require(grads.numel() == weights.numel(), "weights and grads differ in size");
  }
}

void optimizer_step(Device d, const OptimizerParams& o, const Tensor& params, const Tensor& grads,
                    const Tensor& state1, const Tensor& state2, const StepScalars* scalars) {
  const OpCheck check(d, "optimizer_step");
  check.tensor(params, -1, "params");
  check.tensor(grads, -1, "grads");
  check.require(scalars != nullptr, "scalars is null");
  const int64_t n = params.numel();
  check.require(grads.numel() == n, "params and grads differ in size");
  const auto state = [&](const Tensor& t, const char* name) {
    check.tensor(t, -1, name);
    check.require(t.numel() == n, "optimizer state and params differ in size");
  };
  switch (o.kind) {
    case OptimizerKind::sgd:
      if (o.momentum != 0.0f) state(state1, "state1 (velocity)");
      return;
    case OptimizerKind::adam:
    case OptimizerKind::adamw:
      state(state1, "state1 (m)");
      state(state2, "state2 (v)");
      return;
    case OptimizerKind::rmsprop:
      state(state1, "state1 (square_avg)");
      if (o.momentum > 0.0f) state(state2, "state2 (momentum buffer)");
      return;
  }
  check.fail("unknown optimizer kind");
}

void epoch_rows(Device d, const int64_t* indices, int64_t count, const int64_t* rows) {
  const OpCheck check(d, "epoch_rows");
  check.require(indices != nullptr && rows != nullptr && count >= 0,
                "indices or rows is null, or count < 0");
}

void gather_batch(Device d, const uint8_t* images, const int32_t* labels, const int64_t* rows,
                  const Tensor& x, const int32_t* y, const BatchAugment* augment) {
  const OpCheck check(d, "gather_batch");
  check.require(images != nullptr && labels != nullptr && rows != nullptr && y != nullptr,
                "images, labels, rows or y is null");
  check.tensor(x, -1, "x");
  check.require(x.rank >= 1 && x.dim(0) >= 1, "x holds no sample");
  if (augment == nullptr) return;
  check.require(augment->ids != nullptr, "augment->ids is null");
  check.require(augment->rows > 1 && augment->cols > 1 &&
                    int64_t{augment->rows} * augment->cols == x.per_sample(),
                "augment's rows x cols is not x's sample size");
}

void fill(Device d, const Tensor& t) { OpCheck(d, "fill").tensor(t, -1, "t"); }

}  // namespace emnist::checks
