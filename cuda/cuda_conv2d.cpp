// 2-d convolution (cross-correlation) through cuDNN, NCHW fp32; the bias and its gradient are the
// backend's own per-channel kernels (a broadcast add, and a fixed-order sum that is deterministic
// whatever cuDNN's mode).
#include <limits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {
namespace {

ConvGeometry conv_geometry(const char* op, const Tensor& x, const Tensor& w, const Tensor& y,
                           Conv2dParams p) {
  require_tensor(x, 4, op, "x");
  require_tensor(w, 4, op, "w");
  require_tensor(y, 4, op, "y/dy");
  require(p.stride >= 1 && p.pad >= 0, op, "stride must be >= 1 and pad >= 0");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t o = w.dim(0), k = w.dim(2);
  require(w.dim(1) == c, op, "w must be [O, C, K, K] with C = x's channels");
  require(w.dim(3) == k && k >= 1, op, "kernels must be square");
  require(h + 2 * p.pad >= k && wd + 2 * p.pad >= k, op, "kernel larger than padded input");
  const int64_t ho = (h + 2 * p.pad - k) / p.stride + 1;
  const int64_t wo = (wd + 2 * p.pad - k) / p.stride + 1;
  require(y.dim(0) == n && y.dim(1) == o && y.dim(2) == ho && y.dim(3) == wo, op,
          "y/dy must be [N, O, Ho, Wo] with Ho = (H + 2 pad - K) / stride + 1");
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  for (int64_t v : {n, c, h, wd, o, k})
    require(v <= kIntMax, op, "dimension exceeds cuDNN's range");
  for (const Tensor* t : {&x, &w, &y})
    require(t->numel() <= kIntMax, op, "tensor exceeds cuDNN's element range");
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  return ConvGeometry{i(n), i(c), i(h), i(wd), i(o), i(k), p.stride, p.pad, i(ho), i(wo)};
}

}  // namespace

void CudaBackend::conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) {
  const char* op = "conv2d_forward";
  const OpRange range{op};
  const ConvGeometry g = conv_geometry(op, x, w, y, p);
  if (!b.empty()) require_vector(b, g.o, op, "b");
  if (g.n == 0 || g.o == 0) return;
  conv_->forward(g, x.data, w.data, y.data);
  if (!b.empty()) kernels::bias_add(y.data, b.data, g.n, g.o, int64_t{g.ho} * g.wo, stream_.get());
}

std::string CudaBackend::conv2d_algorithms(Tensor x, Tensor w, Tensor y, Conv2dParams p) const {
  return conv_->algorithms(conv_geometry("conv2d_algorithms", x, w, y, p));
}

void CudaBackend::conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                                  Conv2dParams p) {
  const char* op = "conv2d_backward";
  const OpRange range{op};
  const ConvGeometry g = conv_geometry(op, x, w, dy, p);
  require_optional(dx, 4, op, "dx");
  require_optional(dw, 4, op, "dw");
  if (!dx.empty()) require_same_shape(dx, x, op, "dx and x");
  if (!dw.empty()) require_same_shape(dw, w, op, "dw and w");
  if (!db.empty()) require_vector(db, g.o, op, "db");

  if (!db.empty())
    kernels::bias_grad(dy.data, db.data, g.n, g.o, int64_t{g.ho} * g.wo, stream_.get());
  if (g.n == 0 || g.o == 0) {
    // No samples (or no filters): the gradients are empty sums.
    if (!dw.empty()) zero(dw.data, sizeof(float) * static_cast<size_t>(dw.numel()));
    if (!dx.empty()) zero(dx.data, sizeof(float) * static_cast<size_t>(dx.numel()));
    return;
  }
  if (!dw.empty()) conv_->backward_filter(g, x.data, dy.data, dw.data);
  if (!dx.empty()) conv_->backward_data(g, w.data, dy.data, dx.data);
}

}  // namespace emnist::cuda
