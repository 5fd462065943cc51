// Max-pooling over 2x2 windows with stride 2 (a trailing odd row or column is dropped). Forward
// records which input won, so backward is a scatter with no search and no ties to re-decide. With
// x in the nchw16c layout a block of 16 channels runs side by side, the same comparisons in the
// same order; y (with argmax, dy alike) may be nchw16c or plain, the latter a model's last pooling
// before a flatten, which then reads the plain layout without a reorder of its own.
// Global average pooling: each plane summed in row-major order, one plane per iteration (16 side by
// side in the nchw16c layout), so the sums do not depend on the thread count or the layout (and
// are the CUDA kernel's, which sums the same way).
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {

void CpuBackend::maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) {
  const checks::PoolDims d = checks::maxpool2d_forward(Device::cpu, x, y, argmax);
  // Locals rather than a structured binding: Clang before 16 cannot capture one in a lambda.
  const int64_t planes = d.planes, h = d.h, w = d.w;
  const int64_t ho = h / 2, wo = w / 2;
  const float* in = x.data;
  float* out = y.data;
  if (x.layout == Layout::nchw16c) {
    const bool y_blocked = y.layout == Layout::nchw16c;
    parallel_for(planes / 16, x.numel(), [=](int64_t block) {
      const float* src = in + block * 16 * h * w;
      for (int64_t oh = 0; oh < ho; ++oh) {
        for (int64_t ow = 0; ow < wo; ++ow) {
          const int32_t left = static_cast<int32_t>(2 * oh * w + 2 * ow);
          const int32_t where[4] = {left, left + 1, left + static_cast<int32_t>(w),
                                    left + static_cast<int32_t>(w) + 1};
          const int64_t position = oh * wo + ow;
          for (int64_t l = 0; l < 16; ++l) {
            const float values[4] = {src[16 * where[0] + l], src[16 * where[1] + l],
                                     src[16 * where[2] + l], src[16 * where[3] + l]};
            const math::WindowMax best = math::window_max(values, where);
            const int64_t o = y_blocked ? (block * ho * wo + position) * 16 + l
                                        : (block * 16 + l) * ho * wo + position;
            out[o] = best.value;
            argmax[o] = best.at;
          }
        }
      }
    });
    return;
  }
  parallel_for(planes, x.numel(), [=](int64_t plane) {
    const float* src = in + plane * h * w;
    float* dst = out + plane * ho * wo;
    int32_t* arg = argmax + plane * ho * wo;
    for (int64_t oh = 0; oh < ho; ++oh) {
      const float* top = src + 2 * oh * w;
      const float* bottom = top + w;
      const int32_t row = static_cast<int32_t>(2 * oh * w);
      for (int64_t ow = 0; ow < wo; ++ow) {
        const int32_t left = row + static_cast<int32_t>(2 * ow);
        const float values[4] = {top[2 * ow], top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]};
        const int32_t where[4] = {left, left + 1, left + static_cast<int32_t>(w),
                                  left + static_cast<int32_t>(w) + 1};
        const math::WindowMax best = math::window_max(values, where);
        dst[oh * wo + ow] = best.value;
        arg[oh * wo + ow] = best.at;
      }
    }
  });
}

void CpuBackend::maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) {
  const checks::PoolDims d = checks::maxpool2d_backward(Device::cpu, dy, argmax, dx);
  const int64_t planes = d.planes, h = d.h, w = d.w;
  const int64_t ho = h / 2, wo = w / 2;
  const float* g = dy.data;
  float* grad = dx.data;
  if (dx.layout == Layout::nchw16c) {
    const bool dy_blocked = dy.layout == Layout::nchw16c;
    parallel_for(planes / 16, dx.numel(), [=](int64_t block) {
      float* dst = grad + block * 16 * h * w;
      for (int64_t i = 0; i < 16 * h * w; ++i) dst[i] = 0.0f;
      for (int64_t position = 0; position < ho * wo; ++position) {
        for (int64_t l = 0; l < 16; ++l) {
          const int64_t o = dy_blocked ? (block * ho * wo + position) * 16 + l
                                       : (block * 16 + l) * ho * wo + position;
          dst[16 * argmax[o] + l] += g[o];
        }
      }
    });
    return;
  }
  parallel_for(planes, dx.numel(), [=](int64_t plane) {
    float* dst = grad + plane * h * w;
    const float* src = g + plane * ho * wo;
    const int32_t* arg = argmax + plane * ho * wo;
    for (int64_t i = 0; i < h * w; ++i) dst[i] = 0.0f;
    // Windows do not overlap, so each input receives at most one gradient: no ordering question.
    for (int64_t i = 0; i < ho * wo; ++i) dst[arg[i]] += src[i];
  });
}

void CpuBackend::global_avgpool_forward(Tensor x, Tensor y) {
  const checks::PoolDims d = checks::global_avgpool_forward(Device::cpu, x, y);
  const int64_t planes = d.planes, h = d.h, w = d.w;
  const int64_t count = h * w;
  const float* in = x.data;
  float* out = y.data;
  if (x.layout == Layout::nchw16c) {
    // A block of 16 channels at a time, each channel's sum in its plane's order (the plain
    // layout's bits), the 16 side by side.
    parallel_for(planes / 16, x.numel(), [=](int64_t block) {
      const float* src = in + block * 16 * count;
      float sum[16] = {};
      for (int64_t i = 0; i < count; ++i)
        for (int l = 0; l < 16; ++l) sum[l] += src[16 * i + l];
      for (int l = 0; l < 16; ++l) out[16 * block + l] = math::spatial_mean(sum[l], count);
    });
    return;
  }
  parallel_for(planes, x.numel(), [=](int64_t plane) {
    const float* src = in + plane * count;
    float sum = 0.0f;
    for (int64_t i = 0; i < count; ++i) sum += src[i];
    out[plane] = math::spatial_mean(sum, count);
  });
}

void CpuBackend::global_avgpool_backward(Tensor dy, Tensor dx) {
  const checks::PoolDims d = checks::global_avgpool_backward(Device::cpu, dy, dx);
  const int64_t planes = d.planes, h = d.h, w = d.w;
  const int64_t count = h * w;
  const float* g = dy.data;
  float* grad = dx.data;
  if (dx.layout == Layout::nchw16c) {
    parallel_for(planes / 16, dx.numel(), [=](int64_t block) {
      float share[16];
      for (int l = 0; l < 16; ++l) share[l] = math::spatial_mean_grad(g[16 * block + l], count);
      float* dst = grad + block * 16 * count;
      for (int64_t i = 0; i < count; ++i)
        for (int l = 0; l < 16; ++l) dst[16 * i + l] = share[l];
    });
    return;
  }
  parallel_for(planes, dx.numel(), [=](int64_t plane) {
    const float share = math::spatial_mean_grad(g[plane], count);
    float* dst = grad + plane * count;
    for (int64_t i = 0; i < count; ++i) dst[i] = share;
  });
}

}  // namespace emnist::cpu
