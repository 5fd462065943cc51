// 2-d convolution (cross-correlation) through oneDNN's direct convolution kernels
// (onednn_conv.hpp). The batch is cut into groups of kGroup samples whatever the thread count, and
// the groups are spread over the OpenMP threads, each group run whole by one thread with kernels
// planned for one thread: a sample's output and input gradient do not depend on the thread count,
// and neither does the weight gradient, summed per group and the groups' sums combined in order.
#include <omp.h>

#include <algorithm>
#include <string>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "cpu/cpu_reduce.hpp"
#include "cpu/onednn_conv.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// Sixteen samples: big enough for the kernels' blocking over the batch (and for a group's
// reorders to amortise), small enough that a batch of 128 gives two threads four groups each.
constexpr int64_t kGroup = 16;

struct Groups {
  int64_t count;  // ceil(n / kGroup)
  int64_t last;   // samples in the last group
};

Groups groups_of(int64_t n) {
  const int64_t count = (n + kGroup - 1) / kGroup;
  return Groups{count, n - (count - 1) * kGroup};
}

ConvGeometry geometry(const checks::ConvDims& d, int64_t mb, bool bias, const Tensor& x,
                      const Tensor& y) {
  ConvGeometry g{mb, d.c, d.h, d.w, d.o, d.k, d.ho, d.wo, d.stride, d.pad, bias, false, false};
  g.x_nchw16c = x.layout == Layout::nchw16c;
  g.y_nchw16c = y.layout == Layout::nchw16c;
  return g;
}

}  // namespace

void CpuBackend::conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) {
  const checks::ConvDims d = checks::conv2d_forward(Device::cpu, x, w, b, y, p);
  if (d.n == 0) return;
  const Groups groups = groups_of(d.n);
  const bool bias = !b.empty();
  const int threads = omp_get_max_threads();
  // Plans are made (and may throw) here, on the calling thread, before the parallel loop.
  OnednnConv& full = conv_plans_->plan(geometry(d, std::min(kGroup, d.n), bias, x, y));
  OnednnConv& last = conv_plans_->plan(geometry(d, groups.last, bias, x, y));
  for (OnednnConv* plan : {&full, &last}) {
    plan->prepare_forward(w.data);
    plan->reserve(threads);
  }
  const int64_t in_group = kGroup * d.c * d.h * d.w, out_group = kGroup * d.o * d.ho * d.wo;
#pragma omp parallel for schedule(static) if (groups.count > 1)
  for (int64_t g = 0; g < groups.count; ++g) {
    OnednnConv& plan = g + 1 == groups.count ? last : full;
    plan.forward(omp_get_thread_num(), x.data + g * in_group, bias ? b.data : nullptr,
                 y.data + g * out_group);
  }
}

std::string CpuBackend::conv2d_implementations(Tensor x, Tensor w, Tensor y, Conv2dParams p) {
  const checks::ConvDims d = checks::conv2d_forward(Device::cpu, x, w, Tensor{}, y, p);
  if (d.n == 0) return "none (no samples)";
  return conv_plans_->plan(geometry(d, std::min(kGroup, d.n), false, x, y)).implementations();
}

void CpuBackend::conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                                 Conv2dParams p) {
  const checks::ConvDims d = checks::conv2d_backward(Device::cpu, x, w, dy, dx, dw, db, p);
  const int64_t pixels = d.ho * d.wo, out_plane = d.o * pixels;
  if (!db.empty()) {
    // Per filter, over samples in order: a fixed order whatever the thread count (and layout: an
    // nchw16c plane is read with a step of 16, in the same order).
    const float* g = dy.data;
    float* bias_grad = db.data;
    const bool blocked = dy.layout == Layout::nchw16c;
#pragma omp parallel for schedule(static) if (worth_parallel(dy.numel()))
    for (int64_t o = 0; o < d.o; ++o) {
      double total = 0.0;
      for (int64_t n = 0; n < d.n; ++n) {
        if (blocked) {
          const float* plane = g + n * out_plane + o / 16 * 16 * pixels + o % 16;
          total +=
              sum_double(pixels, [plane](int64_t i) { return static_cast<double>(plane[16 * i]); });
        } else {
          const float* plane = g + n * out_plane + o * pixels;
          total += sum_double(pixels, [plane](int64_t i) { return static_cast<double>(plane[i]); });
        }
      }
      bias_grad[o] = static_cast<float>(total);
    }
  }
  if ((dx.empty() && dw.empty()) || d.n == 0) {
    if (!dw.empty()) std::fill(dw.data, dw.data + dw.numel(), 0.0f);
    return;
  }

  const Groups groups = groups_of(d.n);
  const int threads = omp_get_max_threads();
  OnednnConv& full = conv_plans_->plan(geometry(d, std::min(kGroup, d.n), false, x, dy));
  OnednnConv& last = conv_plans_->plan(geometry(d, groups.last, false, x, dy));
  for (OnednnConv* plan : {&full, &last}) {
    if (!dx.empty()) plan->prepare_backward_data(w.data);
    plan->reserve(threads);
  }
  const int64_t w_size = d.o * d.c * d.k * d.k;
  float* partials =
      dw.empty() ? nullptr : grow(conv_partials_, static_cast<size_t>(groups.count * w_size));
  const int64_t in_group = kGroup * d.c * d.h * d.w, out_group = kGroup * out_plane;
#pragma omp parallel for schedule(static) if (groups.count > 1)
  for (int64_t g = 0; g < groups.count; ++g) {
    OnednnConv& plan = g + 1 == groups.count ? last : full;
    plan.backward(omp_get_thread_num(), x.data + g * in_group, dy.data + g * out_group,
                  dx.empty() ? nullptr : dx.data + g * in_group,
                  partials == nullptr ? nullptr : partials + g * w_size, p.accumulate_dx);
  }

  if (partials != nullptr) {
    float* grad = dw.data;
#pragma omp parallel for schedule(static) if (worth_parallel(groups.count * w_size))
    for (int64_t i = 0; i < w_size; ++i) {
      float total = 0.0f;
      for (int64_t g = 0; g < groups.count; ++g) total += partials[g * w_size + i];
      grad[i] = total;
    }
  }
}

}  // namespace emnist::cpu
