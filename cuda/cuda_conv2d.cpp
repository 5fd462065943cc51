// 2-d convolution (cross-correlation) through cuDNN, NCHW fp32; the bias and its gradient are the
// backend's own per-channel kernels (a broadcast add, and a fixed-order sum that is deterministic
// whatever cuDNN's mode).
#include <limits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {
namespace {

// The shared checks' dimensions, then cuDNN's int range.
ConvGeometry conv_geometry(const char* op, const checks::ConvDims& d, const Tensor& x,
                           const Tensor& w, const Tensor& y) {
  const checks::OpCheck check(Device::cuda, op);
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  for (int64_t v : {d.n, d.c, d.h, d.w, d.o, d.k})
    check.require(v <= kIntMax, "dimension exceeds cuDNN's range");
  for (const Tensor* t : {&x, &w, &y})
    check.require(t->numel() <= kIntMax, "tensor exceeds cuDNN's element range");
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  return ConvGeometry{i(d.n), i(d.c),      i(d.h),   i(d.w),  i(d.o),
                      i(d.k), i(d.stride), i(d.pad), i(d.ho), i(d.wo)};
}

}  // namespace

void CudaBackend::conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) {
  const char* op = "conv2d_forward";
  const OpRange range{op};
  const ConvGeometry g =
      conv_geometry(op, checks::conv2d_forward(Device::cuda, x, w, b, y, p), x, w, y);
  if (g.n == 0 || g.o == 0) return;
  conv_->forward(g, x.data, w.data, y.data);
  if (!b.empty()) kernels::bias_add(y.data, b.data, g.n, g.o, int64_t{g.ho} * g.wo, stream_.get());
}

std::string CudaBackend::conv2d_algorithms(Tensor x, Tensor w, Tensor y, Conv2dParams p) const {
  const char* op = "conv2d_algorithms";
  return conv_->algorithms(
      conv_geometry(op, checks::conv2d_forward(Device::cuda, x, w, Tensor{}, y, p), x, w, y));
}

void CudaBackend::conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                                  Conv2dParams p) {
  const char* op = "conv2d_backward";
  const OpRange range{op};
  const ConvGeometry g =
      conv_geometry(op, checks::conv2d_backward(Device::cuda, x, w, dy, dx, dw, db, p), x, w, dy);

  if (!db.empty()) {
    const auto [split, scratch] = channel_split(op, g.n, g.o, int64_t{g.ho} * g.wo);
    kernels::bias_grad(dy.data, db.data, split, scratch, stream_.get());
  }
  if (g.n == 0 || g.o == 0) {
    // No samples (or no filters): the gradients are empty sums.
    if (!dw.empty()) zero(dw.data, sizeof(float) * static_cast<size_t>(dw.numel()));
    if (!dx.empty() && !p.accumulate_dx)
      zero(dx.data, sizeof(float) * static_cast<size_t>(dx.numel()));
    return;
  }
  if (!dw.empty()) conv_->backward_filter(g, x.data, dy.data, dw.data);
  if (!dx.empty()) conv_->backward_data(g, w.data, dy.data, dx.data, p.accumulate_dx);
}

}  // namespace emnist::cuda
