// 2-d convolution (cross-correlation) by im2col + GEMM. Per sample, the input patches are unrolled
// into a [C*K*K, Ho*Wo] matrix so that the convolution is one product with the [O, C*K*K] weights;
// backward multiplies by the transposed weights and folds the columns back (col2im).
//
// Samples are spread over OpenMP threads, each with its own column buffer and a one-thread GEMM:
// on a batch this keeps both cores busy with no synchronisation inside a sample.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_gemm.hpp"
#include "cpu/cpu_parallel.hpp"
#include "cpu/cpu_reduce.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// Weight gradients are summed per group of this many samples and the groups combined in order, so
// the result does not depend on how many threads share the batch.
constexpr int64_t kSamplesPerGroup = 8;

struct ConvShape {
  int64_t n, c, h, w;  // input
  int64_t o, k;        // filters
  int64_t ho, wo;      // output
  int64_t stride, pad;

  int64_t patch() const { return c * k * k; }  // rows of the column matrix
  int64_t pixels() const { return ho * wo; }   // its columns
  int64_t in_plane() const { return c * h * w; }
  int64_t out_plane() const { return o * ho * wo; }
  int64_t padded_h() const { return h + 2 * pad; }
  int64_t padded_w() const { return w + 2 * pad; }
  int64_t padded_size() const { return pad == 0 ? 0 : c * padded_h() * padded_w(); }
  // Per-thread scratch: the column matrix, then the padded input.
  int64_t scratch_size() const { return direct() ? 0 : patch() * pixels() + padded_size(); }
  // A 1x1 stride-1 unpadded convolution's column matrix is the input itself.
  bool direct() const { return k == 1 && stride == 1 && pad == 0; }
};

// The shared checks' dimensions, then the BLAS range, checked here because the per-sample products
// run inside parallel loops, which an exception must not leave.
ConvShape conv_shape(const char* op, const checks::ConvDims& d) {
  const ConvShape s{d.n, d.c, d.h, d.w, d.o, d.k, d.ho, d.wo, d.stride, d.pad};
  constexpr int64_t kBlasMax = std::numeric_limits<int>::max();
  checks::OpCheck(Device::cpu, op)
      .require(s.o <= kBlasMax && s.patch() <= kBlasMax && s.pixels() <= kBlasMax,
               "matrix dimensions exceed the BLAS integer range");
  return s;
}

// Padding the input once per sample (rather than testing bounds for every column entry) leaves
// im2col and col2im with plain strided copies of whole rows.
void pad_planes(const float* x, const ConvShape& s, float* padded) {
  const int64_t hp = s.padded_h(), wp = s.padded_w();
  for (int64_t c = 0; c < s.c; ++c) {
    float* plane = padded + c * hp * wp;
    std::fill(plane, plane + s.pad * wp, 0.0f);
    for (int64_t h = 0; h < s.h; ++h) {
      float* row = plane + (h + s.pad) * wp;
      const float* src = x + (c * s.h + h) * s.w;
      for (int64_t i = 0; i < s.pad; ++i) row[i] = 0.0f;
      std::memcpy(row + s.pad, src, sizeof(float) * static_cast<size_t>(s.w));
      for (int64_t i = s.pad + s.w; i < wp; ++i) row[i] = 0.0f;
    }
    std::fill(plane + (s.pad + s.h) * wp, plane + hp * wp, 0.0f);
  }
}

// col[(c, kh, kw), (oh, ow)] = xp[c, oh*stride + kh, ow*stride + kw], xp the padded input.
void gather_columns(const float* xp, const ConvShape& s, float* col) {
  const int64_t hp = s.padded_h(), wp = s.padded_w();
  for (int64_t c = 0; c < s.c; ++c) {
    for (int64_t kh = 0; kh < s.k; ++kh) {
      for (int64_t kw = 0; kw < s.k; ++kw) {
        float* dst = col + ((c * s.k + kh) * s.k + kw) * s.pixels();
        for (int64_t oh = 0; oh < s.ho; ++oh) {
          const float* src = xp + (c * hp + oh * s.stride + kh) * wp + kw;
          float* out = dst + oh * s.wo;
          if (s.stride == 1) {
            // Rows are short (Wo floats): libc's memcpy moves them in a few wide stores, where the
            // compiler's loop spends most of its time in prologue and epilogue.
            std::memcpy(out, src, sizeof(float) * static_cast<size_t>(s.wo));
          } else {
            for (int64_t ow = 0; ow < s.wo; ++ow) out[ow] = src[ow * s.stride];
          }
        }
      }
    }
  }
}

// The adjoint of gather_columns: every column entry is added onto the padded input it came from.
void scatter_columns(const float* col, const ConvShape& s, float* xp) {
  const int64_t hp = s.padded_h(), wp = s.padded_w();
  for (int64_t c = 0; c < s.c; ++c) {
    for (int64_t kh = 0; kh < s.k; ++kh) {
      for (int64_t kw = 0; kw < s.k; ++kw) {
        const float* src = col + ((c * s.k + kh) * s.k + kw) * s.pixels();
        for (int64_t oh = 0; oh < s.ho; ++oh) {
          float* dst = xp + (c * hp + oh * s.stride + kh) * wp + kw;
          const float* in = src + oh * s.wo;
          if (s.stride == 1) {
            for (int64_t ow = 0; ow < s.wo; ++ow) dst[ow] += in[ow];
          } else {
            for (int64_t ow = 0; ow < s.wo; ++ow) dst[ow * s.stride] += in[ow];
          }
        }
      }
    }
  }
}

// Unrolls one sample's patches into col; `padded` is scratch of s.padded_size() floats.
void im2col(const float* x, const ConvShape& s, float* col, float* padded) {
  if (s.pad == 0) {
    gather_columns(x, s, col);
    return;
  }
  pad_planes(x, s, padded);
  gather_columns(padded, s, col);
}

// dx = the adjoint of im2col applied to col; `padded` is scratch of s.padded_size() floats.
void col2im(const float* col, const ConvShape& s, float* dx, float* padded) {
  if (s.pad == 0) {
    std::fill(dx, dx + s.in_plane(), 0.0f);
    scatter_columns(col, s, dx);
    return;
  }
  std::fill(padded, padded + s.padded_size(), 0.0f);
  scatter_columns(col, s, padded);
  const int64_t hp = s.padded_h(), wp = s.padded_w();
  for (int64_t c = 0; c < s.c; ++c) {
    for (int64_t h = 0; h < s.h; ++h) {
      const float* src = padded + (c * hp + h + s.pad) * wp + s.pad;
      float* dst = dx + (c * s.h + h) * s.w;
      std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(s.w));
    }
  }
}

// y_n [O, Ho*Wo] = w [O, C*K*K] col [C*K*K, Ho*Wo] (+ b broadcast along rows).
void forward_sample(const ConvShape& s, const float* x_n, const float* w, const float* b,
                    float* y_n, float* col, bool split_gemm) {
  const float* patches = x_n;
  if (!s.direct()) {
    im2col(x_n, s, col, col + s.patch() * s.pixels());
    patches = col;
  }
  float beta = 0.0f;
  if (b != nullptr) {
    for (int64_t o = 0; o < s.o; ++o)
      std::fill(y_n + o * s.pixels(), y_n + (o + 1) * s.pixels(), b[o]);
    beta = 1.0f;
  }
  if (split_gemm) {
    gemm(false, false, s.o, s.pixels(), s.patch(), 1.0f, w, s.patch(), patches, s.pixels(), beta,
         y_n, s.pixels());
  } else {
    gemm_serial(false, false, s.o, s.pixels(), s.patch(), 1.0f, w, s.patch(), patches, s.pixels(),
                beta, y_n, s.pixels());
  }
}

}  // namespace

void CpuBackend::conv2d_forward(Tensor x, Tensor w, Tensor b, Tensor y, Conv2dParams p) {
  const ConvShape s =
      conv_shape("conv2d_forward", checks::conv2d_forward(Device::cpu, x, w, b, y, p));

  const int threads = omp_get_max_threads();
  if (columns_.size() < static_cast<size_t>(threads)) columns_.resize(static_cast<size_t>(threads));
  const size_t col_size = static_cast<size_t>(s.scratch_size());
  const float* bias = b.empty() ? nullptr : b.data;

  if (s.n < threads) {
    // Too few samples to share: one sample at a time, each product split across the threads.
    float* col = grow(columns_[0], col_size);
    for (int64_t n = 0; n < s.n; ++n) {
      forward_sample(s, x.data + n * s.in_plane(), w.data, bias, y.data + n * s.out_plane(), col,
                     true);
    }
    return;
  }
  for (int t = 0; t < threads; ++t) grow(columns_[static_cast<size_t>(t)], col_size);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < s.n; ++n) {
    float* col = columns_[static_cast<size_t>(omp_get_thread_num())].data();
    forward_sample(s, x.data + n * s.in_plane(), w.data, bias, y.data + n * s.out_plane(), col,
                   false);
  }
}

void CpuBackend::conv2d_backward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db,
                                 Conv2dParams p) {
  const ConvShape s =
      conv_shape("conv2d_backward", checks::conv2d_backward(Device::cpu, x, w, dy, dx, dw, db, p));

  if (!db.empty()) {
    // Per filter, over samples in order: a fixed order whatever the thread count.
    const float* g = dy.data;
    float* bias_grad = db.data;
#pragma omp parallel for schedule(static) if (worth_parallel(dy.numel()))
    for (int64_t o = 0; o < s.o; ++o) {
      double total = 0.0;
      for (int64_t n = 0; n < s.n; ++n) {
        const float* plane = g + n * s.out_plane() + o * s.pixels();
        total +=
            sum_double(s.pixels(), [plane](int64_t i) { return static_cast<double>(plane[i]); });
      }
      bias_grad[o] = static_cast<float>(total);
    }
  }
  if (dx.empty() && dw.empty()) return;

  const int threads = omp_get_max_threads();
  if (columns_.size() < static_cast<size_t>(threads)) columns_.resize(static_cast<size_t>(threads));
  // The buffer holds the sample's patches for dw, then its patch gradients for dx.
  const size_t col_size = static_cast<size_t>(s.scratch_size());
  for (int t = 0; t < threads; ++t) grow(columns_[static_cast<size_t>(t)], col_size);
  const int64_t groups = (s.n + kSamplesPerGroup - 1) / kSamplesPerGroup;
  const int64_t w_size = s.o * s.patch();
  float* partials =
      dw.empty() ? nullptr : grow(conv_partials_, static_cast<size_t>(groups * w_size));

#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < groups; ++g) {
    float* col = columns_[static_cast<size_t>(omp_get_thread_num())].data();
    const int64_t first = g * kSamplesPerGroup;
    const int64_t last = std::min(first + kSamplesPerGroup, s.n);
    for (int64_t n = first; n < last; ++n) {
      const float* x_n = x.data + n * s.in_plane();
      const float* dy_n = dy.data + n * s.out_plane();
      if (partials != nullptr) {
        const float* patches = x_n;
        if (!s.direct()) {
          im2col(x_n, s, col, col + s.patch() * s.pixels());
          patches = col;
        }
        // partial [O, C*K*K] (+)= dy_n [O, Ho*Wo] patches^T [Ho*Wo, C*K*K]
        gemm_serial(false, true, s.o, s.patch(), s.pixels(), 1.0f, dy_n, s.pixels(), patches,
                    s.pixels(), n == first ? 0.0f : 1.0f, partials + g * w_size, s.patch());
      }
      if (!dx.empty()) {
        float* dx_n = dx.data + n * s.in_plane();
        // patch gradients [C*K*K, Ho*Wo] = w^T [C*K*K, O] dy_n [O, Ho*Wo]
        float* dcol = s.direct() ? dx_n : col;
        gemm_serial(true, false, s.patch(), s.pixels(), s.o, 1.0f, w.data, s.patch(), dy_n,
                    s.pixels(), 0.0f, dcol, s.pixels());
        if (!s.direct()) col2im(dcol, s, dx_n, col + s.patch() * s.pixels());
      }
    }
  }

  if (partials != nullptr) {
    float* grad = dw.data;
#pragma omp parallel for schedule(static) if (worth_parallel(groups * w_size))
    for (int64_t i = 0; i < w_size; ++i) {
      float total = 0.0f;
      for (int64_t g = 0; g < groups; ++g) total += partials[g * w_size + i];
      grad[i] = total;
    }
  }
}

}  // namespace emnist::cpu
