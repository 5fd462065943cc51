// Batch normalisation with statistics per channel: over N for [N, C], over N, H, W for
// [N, C, H, W]. Sums are taken in double, each channel's in one fixed order, so statistics are
// accurate and bit-identical from run to run. In the nchw16c layout (tensor.hpp) every pass runs
// block by block, the 16 channels of a position side by side, and each channel's terms are summed
// in the plain layout's order: the same bits in either layout.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_dropout_mask.hpp"
#include "cpu/cpu_parallel.hpp"
#include "cpu/cpu_reduce.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

using BnShape = checks::BatchNormDims;

// Calls body(begin, c0) for each block of an nchw16c tensor: 16 channels c0..c0+15 side by side at
// each of its s positions, from flat index begin.
template <class Body>
void for_each_block(const BnShape& s, Body body) {
  const int64_t blocks_per_sample = s.c / 16;
  parallel_for(s.n * blocks_per_sample, s.numel(),
               [&](int64_t block) { body(block * 16 * s.s, block % blocks_per_sample * 16); });
}

// a[c], b[c]: the sums of channel c's plane sums (planes[2 * plane], planes[2 * plane + 1], plane =
// n * C + c) in sample order.
void combine_planes(const BnShape& s, const double* planes, double* a, double* b) {
  for (int64_t c = 0; c < s.c; ++c) {
    double total_a = 0.0, total_b = 0.0;
    for (int64_t n = 0; n < s.n; ++n) {
      total_a += planes[2 * (n * s.c + c)];
      total_b += planes[2 * (n * s.c + c) + 1];
    }
    a[c] = total_a;
    b[c] = total_b;
  }
}

// Per channel c: a[c] = sum of first(i, c), b[c] = sum of second(i, c) over the flat indices i of
// that channel's elements, always in the same order. `scratch` holds the planes' sums.
template <class First, class Second>
void channel_sums(const BnShape& s, bool nchw16c, First first, Second second, double* a, double* b,
                  std::vector<double>& scratch) {
  if (s.s == 1) {
    // [N, C]: each thread owns a contiguous range of channels and walks the rows in order, so the
    // inner loop runs along a row (contiguous, vectorisable) and no two threads share a sum.
    parallel_ranges(s.c, s.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) a[c] = b[c] = 0.0;
      for (int64_t n = 0; n < s.n; ++n) {
        for (int64_t c = begin; c < end; ++c) {
          a[c] += first(n * s.c + c, c);
          b[c] += second(n * s.c + c, c);
        }
      }
    });
    return;
  }
  // [N, C, H, W]: each plane's sums first, the planes in memory order, then each channel's plane
  // sums added in sample order: the bits of summing channel by channel, but the reads stream
  // through memory once rather than a stride of C planes apart. With the vector sums of
  // cpu_reduce.hpp that took batch norm from 85 to 71-73 ms of a ResNet step (profile pairs);
  // either change alone bought little.
  double* planes = grow(scratch, static_cast<size_t>(2 * s.n * s.c));
  if (nchw16c) {
    // A block's 16 planes side by side, each in a plane's order: the plain layout's bits.
    for_each_block(s, [&](int64_t begin, int64_t c0) {
      double* out = planes + 2 * (begin / s.s);
      double sa[16], sb[16];
      sum2_double_x16(
          s.s, [&](int64_t i, int l) { return first(begin + 16 * i + l, c0 + l); },
          [&](int64_t i, int l) { return second(begin + 16 * i + l, c0 + l); }, sa, sb);
      for (int l = 0; l < 16; ++l) {
        out[2 * l] = sa[l];
        out[2 * l + 1] = sb[l];
      }
    });
    combine_planes(s, planes, a, b);
    return;
  }
  parallel_for(s.n * s.c, s.numel(), [&](int64_t plane) {
    const int64_t base = plane * s.s, c = plane % s.c;
    sum2_double(
        s.s, [&](int64_t i) { return first(base + i, c); },
        [&](int64_t i) { return second(base + i, c); }, planes[2 * plane], planes[2 * plane + 1]);
  });
  combine_planes(s, planes, a, b);
}

// Calls run(begin, end, c) for every run [begin, end) of elements of one channel c: a whole plane
// for [N, C, H, W], one element for [N, C]. A body that copies its channel's coefficients into
// locals before its loop lets the loop vectorise: read through the pointers, they might alias the
// output, and every store would force them to be read again.
template <class Run>
void for_each_run(const BnShape& s, Run run) {
  if (s.s == 1) {
    parallel_for(s.n, s.numel(), [&](int64_t n) {
      for (int64_t c = 0; c < s.c; ++c) run(n * s.c + c, n * s.c + c + 1, c);
    });
    return;
  }
  parallel_for(s.n * s.c, s.numel(),
               [&](int64_t plane) { run(plane * s.s, (plane + 1) * s.s, plane % s.c); });
}

// Calls f(activate) with activate(v) the activation p asks for (the identity without one) and
// activate.grad(y, dy) its derivative at output y: a type per kind, so each loop is compiled for
// one.
struct Identity {
  float operator()(float v) const { return v; }
  float grad(float, float dy) const { return dy; }
};
struct Relu {
  float operator()(float v) const { return math::relu(v); }
  float grad(float y, float dy) const { return math::relu_grad(y, dy); }
};
struct LeakyRelu {
  float slope;
  float operator()(float v) const { return math::leaky_relu(v, slope); }
  float grad(float y, float dy) const { return math::leaky_relu_grad(y, dy, slope); }
};
struct Elu {
  float alpha;
  float operator()(float v) const { return math::elu(v, alpha); }
  float grad(float y, float dy) const { return math::elu_grad(y, dy, alpha); }
};

template <class F>
void with_activation(const BatchNormParams& p, F f) {
  if (!p.activate) return f(Identity{});
  switch (p.activation.kind) {
    case ActivationKind::relu:
      return f(Relu{});
    case ActivationKind::leaky_relu:
      return f(LeakyRelu{p.activation.leaky_slope});
    case ActivationKind::elu:
      return f(Elu{p.activation.elu_alpha});
  }
}

// f(mask) with the mask of p's dropout, or NoDropout: a type each, so a loop without dropout draws
// nothing.
template <class F>
void with_dropout(const BatchNormDropout& d, F f) {
  if (d.p == 0.0f) return f(NoDropout{});
  f(DropoutMask(d.seed, d.layer, d.scalars, d.p));
}

// Calls body(i, c, factor) for every element i, of channel c, with its dropout factor: for [N, C]
// row by row along the channels (the coefficients read per element), for [N, C, H, W] plane by
// plane; either way the inner loop vectorises.
template <class Mask, class Body>
void for_each_element(const BnShape& s, const Mask& mask, Body body) {
  if (s.s == 1) {
    const int64_t channels = s.c;
    parallel_for(s.n, s.numel(), [&](int64_t n) {
      const int64_t row = n * channels;
      with_factors(mask, row, row + channels,
                   [=](int64_t i, float factor) { body(i, i - row, factor); });
    });
    return;
  }
  for_each_run(s, [=](int64_t begin, int64_t end, int64_t c) {
    with_factors(mask, begin, end, [=](int64_t i, float factor) { body(i, c, factor); });
  });
}

// out = activation((in - mean[c]) * scale[c] + shift[c] (+ p.residual's element)) * dropout's
// factor, and with dropout the value before that factor into activated. The residual is added
// where there is one, never a zero where there is none (-0 + 0 would be +0).
template <class Mask>
void normalize(const BnShape& s, bool nchw16c, const float* in, const float* mean,
               const float* scale, const float* shift, float* out, float* activated,
               const BatchNormParams& p, const Mask& mask) {
  const float* residual = p.residual.data;
  const auto with_residual = [&](auto f) {
    if (residual != nullptr) return f(std::true_type{});
    f(std::false_type{});
  };
  with_activation(p, [&](auto activate) {
    with_residual([&](auto add) {
      if (nchw16c) {
        // (No dropout in this layout: op_checks refuses it.)
        for_each_block(s, [=](int64_t begin, int64_t c0) {
          float m[16], k[16], b[16];
          for (int l = 0; l < 16; ++l) {
            m[l] = mean[c0 + l];
            k[l] = scale[c0 + l];
            b[l] = shift[c0 + l];
          }
          for (int64_t i = begin; i < begin + 16 * s.s; i += 16) {
            for (int l = 0; l < 16; ++l) {
              float v = (in[i + l] - m[l]) * k[l] + b[l];
              if constexpr (decltype(add)::value) v = v + residual[i + l];
              out[i + l] = activate(v);
            }
          }
        });
        return;
      }
      for_each_element(s, mask, [=](int64_t i, int64_t c, float factor) {
        float v = (in[i] - mean[c]) * scale[c] + shift[c];
        if constexpr (decltype(add)::value) v = v + residual[i];
        const float a = activate(v);
        if constexpr (Mask::active) activated[i] = a;
        out[i] = a * factor;
      });
    });
  });
}

}  // namespace

void CpuBackend::batchnorm_forward_train(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                         Tensor running_var, Tensor y, Tensor save_mean,
                                         Tensor save_invstd, BatchNormParams p) {
  const BnShape s = checks::batchnorm_forward_train(Device::cpu, x, gamma, beta, running_mean,
                                                    running_var, y, save_mean, save_invstd);
  checks::batchnorm_params(Device::cpu, "batchnorm_forward_train", p, x);
  checks::batchnorm_dropout(Device::cpu, "batchnorm_forward_train", p, y);

  double* sum = grow(sums_, static_cast<size_t>(2 * s.c));
  double* sum_sq = sum + s.c;
  const float* in = x.data;
  // One pass for both moments: var = E[x^2] - mean^2 in double loses nothing that matters for float
  // data (the cancellation costs about log10(mean^2 / var) of double's 16 digits).
  const bool nchw16c = x.layout == Layout::nchw16c;
  channel_sums(
      s, nchw16c, [in](int64_t i, int64_t) { return static_cast<double>(in[i]); },
      [in](int64_t i, int64_t) { return static_cast<double>(in[i]) * static_cast<double>(in[i]); },
      sum, sum_sq, plane_sums_);

  const double count = static_cast<double>(s.count());
  const double momentum = p.momentum;
  float* scale = grow(coefficients_, static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = sum[c] / count;
    const double var = std::max(sum_sq[c] / count - mean * mean, 0.0);
    const double invstd = 1.0 / std::sqrt(var + static_cast<double>(p.eps));
    save_mean.data[c] = static_cast<float>(mean);
    save_invstd.data[c] = static_cast<float>(invstd);
    running_mean.data[c] =
        static_cast<float>((1.0 - momentum) * running_mean.data[c] + momentum * mean);
    running_var.data[c] = static_cast<float>((1.0 - momentum) * running_var.data[c] +
                                             momentum * var * count / (count - 1.0));
    scale[c] = gamma.data[c] * save_invstd.data[c];
  }

  with_dropout(p.dropout, [&](const auto& mask) {
    normalize(s, nchw16c, in, save_mean.data, scale, beta.data, y.data, p.dropout.activated.data, p,
              mask);
  });
}

void CpuBackend::batchnorm_forward_infer(Tensor x, Tensor gamma, Tensor beta, Tensor running_mean,
                                         Tensor running_var, Tensor y, BatchNormParams p) {
  const BnShape s =
      checks::batchnorm_forward_infer(Device::cpu, x, gamma, beta, running_mean, running_var, y);
  checks::batchnorm_params(Device::cpu, "batchnorm_forward_infer", p, x);
  float* scale = grow(coefficients_, static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) {
    const double invstd =
        1.0 / std::sqrt(static_cast<double>(running_var.data[c]) + static_cast<double>(p.eps));
    scale[c] = gamma.data[c] * static_cast<float>(invstd);
  }
  normalize(s, x.layout == Layout::nchw16c, x.data, running_mean.data, scale, beta.data, y.data,
            nullptr, p, NoDropout{});
}

// With xhat = (x - mean) * invstd and M values per channel (the batch statistics depend on x):
//   dbeta = sum dy,  dgamma = sum dy * xhat,
//   dx = gamma * invstd * (dy - dbeta / M - xhat * dgamma / M),
// where, after an activation, dy is the activation's backward at its output y, recomputed from x
// with the forward's own float coefficients (the same bits as the forward's y).
template <class Activate>
void CpuBackend::batchnorm_backward_with(Activate activate, const checks::BatchNormDims& s,
                                         Tensor x, Tensor dy, Tensor gamma, Tensor beta,
                                         Tensor save_mean, Tensor save_invstd, Tensor dx,
                                         Tensor dgamma, Tensor dbeta) {
  const float* in = x.data;
  const float* g = dy.data;
  const float* mean = save_mean.data;
  const float* invstd = save_invstd.data;
  float* coef = grow(coefficients_, static_cast<size_t>(4 * s.c));
  float* k = coef;  // gamma * invstd: the forward's scale
  for (int64_t c = 0; c < s.c; ++c) k[c] = gamma.data[c] * invstd[c];
  // Without an activation there is no beta (and no shift to read).
  constexpr bool plain = std::is_same_v<Activate, Identity>;
  const float* shift = beta.data;
  // The gradient reaching batch norm's output at element i of channel c.
  auto grad = [=](int64_t i, int64_t c) {
    if constexpr (plain) {
      return g[i];
    } else {
      return activate.grad(activate((in[i] - mean[c]) * k[c] + shift[c]), g[i]);
    }
  };

  double* sum_dy = grow(sums_, static_cast<size_t>(2 * s.c));
  double* sum_dy_xc = sum_dy + s.c;  // sum of dy * (x - mean)
  auto centred = [=](int64_t i, int64_t c) {
    return static_cast<double>(in[i]) - static_cast<double>(mean[c]);
  };
  const bool nchw16c = x.layout == Layout::nchw16c;
  if (plain || s.s == 1) {
    channel_sums(
        s, nchw16c, [=](int64_t i, int64_t c) { return static_cast<double>(grad(i, c)); },
        [=](int64_t i, int64_t c) { return static_cast<double>(grad(i, c)) * centred(i, c); },
        sum_dy, sum_dy_xc, plane_sums_);
  } else {
    // Per plane, the activation's gradient first into a row of scratch that stays in cache: both
    // loops then vectorise (a select per element, rather than a branch inside the double sums),
    // and memory is read once. Planes in memory order, as in channel_sums; in the nchw16c layout
    // a block of 16 planes at a time, side by side (the same values summed in the same order: the
    // same bits).
    const int threads = omp_get_max_threads();
    const int64_t row_length = nchw16c ? 16 * s.s : s.s;
    grow(plane_rows_, static_cast<size_t>(threads * row_length));
    float* rows = plane_rows_.data();
    double* planes = grow(plane_sums_, static_cast<size_t>(2 * s.n * s.c));
    if (nchw16c) {
      for_each_block(s, [&](int64_t begin, int64_t c0) {
        float* e = rows + omp_get_thread_num() * row_length;
        float m[16], kc[16], sh[16];
        double md[16];
        for (int l = 0; l < 16; ++l) {
          m[l] = mean[c0 + l];
          kc[l] = k[c0 + l];
          sh[l] = shift[c0 + l];
          md[l] = static_cast<double>(m[l]);
        }
        const float* xb = in + begin;
        // dy staged in the row first, as for the plain layout below.
        std::copy(g + begin, g + begin + 16 * s.s, e);
        for (int64_t i = 0; i < 16 * s.s; i += 16)
          for (int l = 0; l < 16; ++l)
            e[i + l] = activate.grad(activate((xb[i + l] - m[l]) * kc[l] + sh[l]), e[i + l]);
        double sa[16], sb[16];
        sum2_double_x16(
            s.s, [e](int64_t i, int l) { return static_cast<double>(e[16 * i + l]); },
            [e, xb, &md](int64_t i, int l) {
              return static_cast<double>(e[16 * i + l]) *
                     (static_cast<double>(xb[16 * i + l]) - md[l]);
            },
            sa, sb);
        double* out = planes + 2 * (begin / s.s);
        for (int l = 0; l < 16; ++l) {
          out[2 * l] = sa[l];
          out[2 * l + 1] = sb[l];
        }
      });
      combine_planes(s, planes, sum_dy, sum_dy_xc);
    } else {
      parallel_for(s.n * s.c, s.numel(), [&](int64_t plane) {
        float* e = rows + omp_get_thread_num() * s.s;
        const int64_t c = plane % s.c;
        const float m = mean[c], kc = k[c], sh = shift[c];
        const double md = static_cast<double>(m);
        const float* xp = in + plane * s.s;
        const float* gp = g + plane * s.s;
        // dy is copied into the row first and read back from there: GCC's AVX-512 code turns
        // relu_grad's select into a load of dy under the comparison's mask, which stalls on
        // memory on the AMD EPYC (Zen 5) this project measures on, and less on the cache. The
        // fused ReLU backward took 9.5 ms of a ResNet step without the copy, 7.6 with it (emnist
        // bench --device cpu --model resnet --profile, three alternating pairs); the values, so
        // the bits, are the same. (In the dx pass below the same staging measured no gain.)
        std::copy(gp, gp + s.s, e);
        for (int64_t i = 0; i < s.s; ++i)
          e[i] = activate.grad(activate((xp[i] - m) * kc + sh), e[i]);
        sum2_double(
            s.s, [e](int64_t i) { return static_cast<double>(e[i]); },
            [e, xp, md](int64_t i) {
              return static_cast<double>(e[i]) * (static_cast<double>(xp[i]) - md);
            },
            planes[2 * plane], planes[2 * plane + 1]);
      });
      combine_planes(s, planes, sum_dy, sum_dy_xc);
    }
  }

  const double count = static_cast<double>(s.count());
  float* mean_dy = coef + s.c;           // dbeta / M
  float* mean_dy_xhat = coef + 2 * s.c;  // dgamma / M
  for (int64_t c = 0; c < s.c; ++c) {
    const double dg = sum_dy_xc[c] * static_cast<double>(invstd[c]);
    if (!dbeta.empty()) dbeta.data[c] = static_cast<float>(sum_dy[c]);
    if (!dgamma.empty()) dgamma.data[c] = static_cast<float>(dg);
    mean_dy[c] = static_cast<float>(sum_dy[c] / count);
    mean_dy_xhat[c] = static_cast<float>(dg / count);
  }
  if (dx.empty()) return;
  float* out = dx.data;
  if (nchw16c) {
    for_each_block(s, [=](int64_t begin, int64_t c0) {
      float m[16], r[16], kc[16], a[16], b[16], sh[16];
      for (int l = 0; l < 16; ++l) {
        m[l] = mean[c0 + l];
        r[l] = invstd[c0 + l];
        kc[l] = k[c0 + l];
        a[l] = mean_dy[c0 + l];
        b[l] = mean_dy_xhat[c0 + l];
        sh[l] = plain ? 0.0f : shift[c0 + l];
      }
      for (int64_t i = begin; i < begin + 16 * s.s; i += 16) {
        for (int l = 0; l < 16; ++l) {
          float gi = g[i + l];
          if constexpr (!plain)
            gi = activate.grad(activate((in[i + l] - m[l]) * kc[l] + sh[l]), gi);
          const float xhat = (in[i + l] - m[l]) * r[l];
          out[i + l] = kc[l] * (gi - a[l] - xhat * b[l]);
        }
      }
    });
    return;
  }
  for_each_run(s, [=](int64_t begin, int64_t end, int64_t c) {
    const float m = mean[c], r = invstd[c], kc = k[c], a = mean_dy[c], b = mean_dy_xhat[c];
    const float sh = plain ? 0.0f : shift[c];
    for (int64_t i = begin; i < end; ++i) {
      float gi = g[i];
      if constexpr (!plain) gi = activate.grad(activate((in[i] - m) * kc + sh), gi);
      const float xhat = (in[i] - m) * r;
      out[i] = kc * (gi - a - xhat * b);
    }
  });
}

void CpuBackend::batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor save_mean,
                                    Tensor save_invstd, Tensor dx, Tensor dgamma, Tensor dbeta) {
  const BnShape s = checks::batchnorm_backward(Device::cpu, x, dy, gamma, save_mean, save_invstd,
                                               dx, dgamma, dbeta);
  batchnorm_backward_with(Identity{}, s, x, dy, gamma, Tensor{}, save_mean, save_invstd, dx, dgamma,
                          dbeta);
}

void CpuBackend::batchnorm_activation_backward(Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                               Tensor beta, Tensor save_mean, Tensor save_invstd,
                                               Tensor dx, Tensor dgamma, Tensor dbeta,
                                               BatchNormParams p) {
  const BnShape s = checks::batchnorm_activation_backward(
      Device::cpu, x, y, dy, gamma, beta, save_mean, save_invstd, dx, dgamma, dbeta, p);
  if (s.s > 1 && p.dropout.p == 0.0f) {
    with_activation(p, [&](auto activate) {
      batchnorm_backward_with(activate, s, x, dy, gamma, beta, save_mean, save_invstd, dx, dgamma,
                              dbeta);
    });
    return;
  }
  // [N, C], or with dropout: the gradient at batch norm's output is taken first, into scratch,
  // and batch norm's backward follows from there. For [N, C] a channel's values are a column, so
  // this loop runs row by row along the channels (it vectorises); the layers are small (a batch of
  // rows), so the extra pass costs little. The order is the separate ops': dropout's factor, then
  // the activation's gradient at its output, recomputed from x with the forward's coefficients.
  float* e = grow(plane_rows_, static_cast<size_t>(s.numel()));
  float* k = grow(coefficients_, static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) k[c] = gamma.data[c] * save_invstd.data[c];
  const float* in = x.data;
  const float* g = dy.data;
  const float* mean = save_mean.data;
  const float* shift = beta.data;
  with_activation(p, [&](auto activate) {
    with_dropout(p.dropout, [&](const auto& mask) {
      for_each_element(s, mask, [=](int64_t i, int64_t c, float factor) {
        e[i] = activate.grad(activate((in[i] - mean[c]) * k[c] + shift[c]), g[i] * factor);
      });
    });
  });
  Tensor gradient = x;  // x's shape, e's values
  gradient.data = e;
  batchnorm_backward_with(Identity{}, s, x, gradient, gamma, Tensor{}, save_mean, save_invstd, dx,
                          dgamma, dbeta);
}

}  // namespace emnist::cpu
