// Max-pooling over 2x2 windows with stride 2 (a trailing odd row or column is dropped). Forward
// records which input won, so backward is a scatter with no search and no ties to re-decide.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_checks.hpp"
#include "cpu/cpu_parallel.hpp"

namespace emnist::cpu {

void CpuBackend::maxpool2d_forward(Tensor x, Tensor y, int32_t* argmax) {
  const char* op = "maxpool2d_forward";
  require_tensor(x, 4, op, "x");
  require_tensor(y, 4, op, "y");
  require(argmax != nullptr, op, "argmax is null");
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t ho = h / 2, wo = w / 2;
  require(y.dim(0) == x.dim(0) && y.dim(1) == x.dim(1) && y.dim(2) == ho && y.dim(3) == wo, op,
          "y must be [N, C, H/2, W/2]");
  const float* in = x.data;
  float* out = y.data;
#pragma omp parallel for schedule(static) if (worth_parallel(x.numel()))
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* src = in + plane * h * w;
    float* dst = out + plane * ho * wo;
    int32_t* arg = argmax + plane * ho * wo;
    for (int64_t oh = 0; oh < ho; ++oh) {
      const float* top = src + 2 * oh * w;
      const float* bottom = top + w;
      const int32_t row = static_cast<int32_t>(2 * oh * w);
      for (int64_t ow = 0; ow < wo; ++ow) {
        // Candidates in row-major order with strict comparisons: the first maximum wins ties.
        // Selects rather than branches: on real data the winner is unpredictable.
        const int32_t left = row + static_cast<int32_t>(2 * ow);
        float best = top[2 * ow];
        int32_t at = left;
        const float candidates[3] = {top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]};
        const int32_t where[3] = {left + 1, left + static_cast<int32_t>(w),
                                  left + static_cast<int32_t>(w) + 1};
        for (int j = 0; j < 3; ++j) {
          const bool greater = candidates[j] > best;
          best = greater ? candidates[j] : best;
          at = greater ? where[j] : at;
        }
        dst[oh * wo + ow] = best;
        arg[oh * wo + ow] = at;
      }
    }
  }
}

void CpuBackend::maxpool2d_backward(Tensor dy, const int32_t* argmax, Tensor dx) {
  const char* op = "maxpool2d_backward";
  require_tensor(dy, 4, op, "dy");
  require_tensor(dx, 4, op, "dx");
  require(argmax != nullptr, op, "argmax is null");
  const int64_t planes = dx.dim(0) * dx.dim(1), h = dx.dim(2), w = dx.dim(3);
  const int64_t ho = h / 2, wo = w / 2;
  require(dy.dim(0) == dx.dim(0) && dy.dim(1) == dx.dim(1) && dy.dim(2) == ho && dy.dim(3) == wo,
          op, "dy must be [N, C, H/2, W/2] of dx's [N, C, H, W]");
  const float* g = dy.data;
  float* grad = dx.data;
#pragma omp parallel for schedule(static) if (worth_parallel(dx.numel()))
  for (int64_t plane = 0; plane < planes; ++plane) {
    float* dst = grad + plane * h * w;
    const float* src = g + plane * ho * wo;
    const int32_t* arg = argmax + plane * ho * wo;
    for (int64_t i = 0; i < h * w; ++i) dst[i] = 0.0f;
    // Windows do not overlap, so each input receives at most one gradient: no ordering question.
    for (int64_t i = 0; i < ho * wo; ++i) dst[arg[i]] += src[i];
  }
}

}  // namespace emnist::cpu
