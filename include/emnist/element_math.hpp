#pragma once
// Per-element formulas shared by the CPU backend and the CUDA kernels: the CPU tests prove the
// formula once, the GPU tests then only have to prove the indexing and launches around it.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define EMNIST_HD __host__ __device__ __forceinline__
#else
#define EMNIST_HD inline
#endif

namespace emnist::math {

// ---- counter-based random numbers -------------------------------------------------------------
// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix, good enough to turn
// (seed, stream, counter) into independent-looking bits without any state, so every element of a
// dropout mask and every shuffle key can be drawn in any order on any device.
EMNIST_HD uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// random_bits in two parts: the key of (seed, stream), shared by all of a stream's counters, and
// the draw for one counter. A loop over counters computes the key once.
EMNIST_HD uint64_t stream_key(uint64_t seed, uint64_t stream) {
  return mix64(mix64(seed) ^ stream);
}
EMNIST_HD uint64_t keyed_bits(uint64_t key, uint64_t counter) { return mix64(key ^ counter); }
EMNIST_HD uint64_t random_bits(uint64_t seed, uint64_t stream, uint64_t counter) {
  return keyed_bits(stream_key(seed, stream), counter);
}

// Uniform in [0, 1) with 24 bits, exactly representable in float on every device.
EMNIST_HD float keyed_uniform01(uint64_t key, uint64_t counter) {
  return static_cast<float>(keyed_bits(key, counter) >> 40) * (1.0f / 16777216.0f);
}
EMNIST_HD float uniform01(uint64_t seed, uint64_t stream, uint64_t counter) {
  return keyed_uniform01(stream_key(seed, stream), counter);
}

// A pixel as the model sees it: p / 255 in float (division is correctly rounded on the host and,
// without fast-math, on the device: both feeders give the same bits).
EMNIST_HD float pixel_value(uint8_t p) { return static_cast<float>(p) / 255.0f; }

// Random streams, so that no two uses of one seed draw the same numbers.
enum Stream : uint64_t {
  kStreamShuffle = 1,
  kStreamInit = 2,
  kStreamDropout = 3,  // + layer index << 32
  kStreamSplit = 4,
  kStreamAugment = 5,  // + epoch << 8
  kStreamBalance = 6,  // + epoch << 8
};

// Epoch order: sample indices stably sorted by this key.
EMNIST_HD uint64_t shuffle_key(uint64_t seed, uint64_t epoch, uint64_t index) {
  return random_bits(seed, kStreamShuffle ^ (epoch << 8), index);
}

// Inverted dropout: an element is kept when its draw is >= p, and kept values are scaled by
// 1/(1-p).
// The key of one layer's mask at one step. Distinct for every (layer, step) below step 2^24 (16.7
// million steps); beyond, step's high bits reach layer's and two masks may share a stream.
EMNIST_HD uint64_t dropout_key(uint64_t seed, uint32_t layer, uint64_t step) {
  const uint64_t stream = kStreamDropout ^ (static_cast<uint64_t>(layer) << 32);
  return stream_key(seed, stream ^ (step << 8));
}
EMNIST_HD bool dropout_keep(uint64_t seed, uint32_t layer, uint64_t step, uint64_t element,
                            float p) {
  return keyed_uniform01(dropout_key(seed, layer, step), element) >= p;
}
// The factor an element is multiplied by, forward and backward, from its mask's key: 0, or
// scale = 1/(1-p) computed in float on the host. A number rather than a branch: a branch
// mispredicts on a fraction p of the elements.
EMNIST_HD float dropout_factor(uint64_t key, uint64_t element, float p, float scale) {
  return static_cast<float>(keyed_uniform01(key, element) >= p) * scale;
}

// ---- softmax cross-entropy ----------------------------------------------------------------------
// a * b rounded on its own: nvcc would otherwise fuse it into a following addition, and the device
// must round as the host does.
EMNIST_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

// Labels smoothed by eps over K classes (PyTorch's label_smoothing): the target of a row is eps / K
// for every class plus 1 - eps at its label. Per element of dlogits, in float, with the row's
// share s: off = eps / K * s everywhere, on = (1 - eps) * s more at the label; eps = 0 gives the
// plain one-hot target's bits (off = 0, on = 1 / B). `share` is the row's share of the mean loss.
// With class weights the whole row is weighted by its label's weight (PyTorch weights each class's
// eps / K part by that class's weight instead).
struct SmoothedTarget {
  float off, on, share;
};
EMNIST_HD SmoothedTarget smoothed_target(float eps, int64_t classes, float share) {
  return {mul_rn(eps / static_cast<float>(classes), share), mul_rn(1.0f - eps, share), share};
}
// A row's share of the mean loss: 1 / B unweighted, w[label] / sum w weighted.
EMNIST_HD float row_share(const float* class_weights, int32_t label, int64_t batch,
                          float weight_sum) {
  if (class_weights == nullptr) return 1.0f / static_cast<float>(batch);
  return class_weights[label] / weight_sum;
}
// d(loss)/d(z_j) for softmax probability p_j: (p_j - target_j) times the row's share.
EMNIST_HD float cross_entropy_grad(float p, SmoothedTarget t, bool at_label) {
  const float d = mul_rn(p, t.share) - t.off;
  return at_label ? d - t.on : d;
}
// A row's loss, in double, from nll = -log p_label, log_sum = log sum exp(z - max) and mean_z, the
// mean of z - max over the classes: (1 - eps) * nll + eps * (log_sum - mean_z).
EMNIST_HD double cross_entropy_row(double nll, double log_sum, double mean_z, double eps) {
  return eps == 0.0 ? nll : (1.0 - eps) * nll + eps * (log_sum - mean_z);
}

// ---- augmentation ------------------------------------------------------------------------------
// Each training sample, in each epoch, is drawn through a random affine map and an elastic
// displacement and sampled bilinearly (zero outside the image). Everything is a pure function of
// (seed, epoch, sample id) computed with +, -, * and / only (rotations drawn through the tangent of
// the half angle, no sin or cos), so the host and every device give the same bits.
struct AugmentSpec {
  float tan_half_rotation = 0.0f;  // tan(max rotation / 2)
  float scale = 0.0f;              // the zoom is 1 + scale * u
  float shear = 0.0f;              // horizontal shear factor, up to this
  float translate = 0.0f;          // pixels, up to this each way
  float elastic = 0.0f;            // pixels: the largest displacement of a control point
  uint64_t seed = 0;
};
EMNIST_HD bool augment_active(const AugmentSpec& s) {
  return s.tan_half_rotation != 0.0f || s.scale != 0.0f || s.shear != 0.0f || s.translate != 0.0f ||
         s.elastic != 0.0f;
}

constexpr int kElasticGrid = 4;         // control points per side, spanning the image
constexpr uint64_t kAugmentDraws = 64;  // counters per sample: 5 + 2 * 16 used
constexpr int kElasticPoints = kElasticGrid * kElasticGrid;

// One sample's draw: output pixel (x, y) reads the source at
// (a, b; c, d) (x - cx, y - cy) + (cx + tx, cy + ty) + the elastic displacement at (x, y).
struct AugmentDraw {
  float a, b, c, d, tx, ty;
  float ex[kElasticPoints], ey[kElasticPoints];  // control points' displacements, row-major
};

// Uniform in [-1, 1).
EMNIST_HD float augment_uniform(uint64_t key, uint64_t id, uint64_t k) {
  return mul_rn(2.0f, keyed_uniform01(key, id * kAugmentDraws + k)) - 1.0f;
}

EMNIST_HD AugmentDraw augment_draw(const AugmentSpec& s, int epoch, uint64_t id) {
  const uint64_t key = stream_key(s.seed, kStreamAugment ^ (static_cast<uint64_t>(epoch) << 8));
  AugmentDraw t;
  // Rotation by theta with tan(theta / 2) = h: cos = (1 - h^2) / (1 + h^2), sin = 2h / (1 + h^2).
  const float h = mul_rn(s.tan_half_rotation, augment_uniform(key, id, 0));
  const float h2 = mul_rn(h, h);
  const float cosine = (1.0f - h2) / (1.0f + h2);
  const float sine = mul_rn(2.0f, h) / (1.0f + h2);
  // The inverse map: output to source, so a zoom of z reads at 1/z.
  const float inverse_zoom = 1.0f / (1.0f + mul_rn(s.scale, augment_uniform(key, id, 1)));
  const float shear = mul_rn(s.shear, augment_uniform(key, id, 2));
  t.a = mul_rn(inverse_zoom, cosine);
  t.b = mul_rn(inverse_zoom, mul_rn(cosine, shear) - sine);
  t.c = mul_rn(inverse_zoom, sine);
  t.d = mul_rn(inverse_zoom, mul_rn(sine, shear) + cosine);
  t.tx = mul_rn(s.translate, augment_uniform(key, id, 3));
  t.ty = mul_rn(s.translate, augment_uniform(key, id, 4));
  for (int k = 0; k < kElasticPoints; ++k) {
    t.ex[k] = mul_rn(s.elastic, augment_uniform(key, id, 5 + 2 * static_cast<uint64_t>(k)));
    t.ey[k] = mul_rn(s.elastic, augment_uniform(key, id, 6 + 2 * static_cast<uint64_t>(k)));
  }
  return t;
}

// v00..v11 at the corners of a unit cell, weights fx, fy in [0, 1).
EMNIST_HD float bilinear(float v00, float v01, float v10, float v11, float fx, float fy) {
  const float top = mul_rn(1.0f - fx, v00) + mul_rn(fx, v01);
  const float bottom = mul_rn(1.0f - fx, v10) + mul_rn(fx, v11);
  return mul_rn(1.0f - fy, top) + mul_rn(fy, bottom);
}

// Output pixel (y, x) of an augmented rows x cols image: pixel_value of the source, sampled
// bilinearly at the drawn position (0 outside the image).
EMNIST_HD float augment_pixel(const uint8_t* image, int rows, int cols, const AugmentSpec& s,
                              const AugmentDraw& t, int y, int x) {
  const float cx = mul_rn(static_cast<float>(cols - 1), 0.5f);
  const float cy = mul_rn(static_cast<float>(rows - 1), 0.5f);
  const float dx = static_cast<float>(x) - cx, dy = static_cast<float>(y) - cy;
  float sx = mul_rn(t.a, dx) + mul_rn(t.b, dy) + (cx + t.tx);
  float sy = mul_rn(t.c, dx) + mul_rn(t.d, dy) + (cy + t.ty);
  if (s.elastic != 0.0f) {
    // The displacement at (x, y): bilinear between the control points around it.
    const float gx =
        static_cast<float>(x) * static_cast<float>(kElasticGrid - 1) / static_cast<float>(cols - 1);
    const float gy =
        static_cast<float>(y) * static_cast<float>(kElasticGrid - 1) / static_cast<float>(rows - 1);
    const int px =
        gx < static_cast<float>(kElasticGrid - 1) ? static_cast<int>(gx) : kElasticGrid - 2;
    const int py =
        gy < static_cast<float>(kElasticGrid - 1) ? static_cast<int>(gy) : kElasticGrid - 2;
    const float fx = gx - static_cast<float>(px), fy = gy - static_cast<float>(py);
    const int k = py * kElasticGrid + px;
    sx +=
        bilinear(t.ex[k], t.ex[k + 1], t.ex[k + kElasticGrid], t.ex[k + kElasticGrid + 1], fx, fy);
    sy +=
        bilinear(t.ey[k], t.ey[k + 1], t.ey[k + kElasticGrid], t.ey[k + kElasticGrid + 1], fx, fy);
  }
  const float fx0 = floorf(sx), fy0 = floorf(sy);
  // Far outside (and NaN): nothing to read.
  if (!(fx0 >= -1.0f && fx0 < static_cast<float>(cols) && fy0 >= -1.0f &&
        fy0 < static_cast<float>(rows)))
    return 0.0f;
  const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
  const auto at = [&](int yy, int xx) {
    return yy >= 0 && yy < rows && xx >= 0 && xx < cols ? pixel_value(image[yy * cols + xx]) : 0.0f;
  };
  return bilinear(at(y0, x0), at(y0, x0 + 1), at(y0 + 1, x0), at(y0 + 1, x0 + 1), sx - fx0,
                  sy - fy0);
}

// A whole image through one draw, row-major into out (the host's loop; a kernel takes a pixel per
// thread).
EMNIST_HD void augment_image(const uint8_t* image, int rows, int cols, const AugmentSpec& s,
                             const AugmentDraw& t, float* out) {
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) out[y * cols + x] = augment_pixel(image, rows, cols, s, t, y, x);
}

// ---- activations ------------------------------------------------------------------------------
// Backward formulas take the forward output y, not x, so a forward may run in place. For Leaky ReLU
// (slope > 0) and ELU (alpha > 0), y > 0 exactly when x > 0.
EMNIST_HD float relu(float x) { return x > 0.0f ? x : 0.0f; }
EMNIST_HD float relu_grad(float y, float dy) { return y > 0.0f ? dy : 0.0f; }

EMNIST_HD float leaky_relu(float x, float slope) { return x > 0.0f ? x : slope * x; }
EMNIST_HD float leaky_relu_grad(float y, float dy, float slope) {
  return y > 0.0f ? dy : slope * dy;
}

EMNIST_HD float elu(float x, float alpha) { return x > 0.0f ? x : alpha * (expf(x) - 1.0f); }
// d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha.
EMNIST_HD float elu_grad(float y, float dy, float alpha) {
  return y > 0.0f ? dy : dy * (y + alpha);
}

// ---- optimizer updates (PyTorch's formulas, torch.optim 2.x) ----------------------------------
// SGD: g += wd*p; b = momentum*b + g (b = g on the first step); g = nesterov ? g + momentum*b : b.
EMNIST_HD void sgd_update(float& p, float g, float& velocity, float lr, float momentum,
                          bool nesterov, float weight_decay, bool first_step) {
  g += weight_decay * p;
  if (momentum != 0.0f) {
    velocity = first_step ? g : momentum * velocity + g;
    g = nesterov ? g + momentum * velocity : velocity;
  }
  p -= lr * g;
}

// Adam's bias corrections depend only on the step, so a pass over the parameters computes them once
// (powf per element would cost more than the update itself; the compiler cannot hoist it because
// powf may set errno). The arithmetic is the same as computing them inside adam_update.
struct AdamStep {
  float step_size;   // lr / (1 - beta1^t)
  float bias2_sqrt;  // sqrt(1 - beta2^t)
};
EMNIST_HD AdamStep adam_step(float lr, float beta1, float beta2, int64_t step) {
  const float bias1 = 1.0f - powf(beta1, static_cast<float>(step));
  const float bias2 = 1.0f - powf(beta2, static_cast<float>(step));
  return AdamStep{lr / bias1, sqrtf(bias2)};
}

// Adam / AdamW. step counts from 1. decoupled: p *= 1 - lr*wd (AdamW), else g += wd*p (Adam).
EMNIST_HD void adam_update(float& p, float g, float& m, float& v, float lr, float beta1,
                           float beta2, float eps, float weight_decay, bool decoupled, AdamStep s) {
  if (decoupled) {
    p *= 1.0f - lr * weight_decay;
  } else {
    g += weight_decay * p;
  }
  m = beta1 * m + (1.0f - beta1) * g;
  v = beta2 * v + (1.0f - beta2) * g * g;
  const float denom = sqrtf(v) / s.bias2_sqrt + eps;
  p -= s.step_size * m / denom;
}

EMNIST_HD void adam_update(float& p, float g, float& m, float& v, float lr, float beta1,
                           float beta2, float eps, float weight_decay, bool decoupled,
                           int64_t step) {
  adam_update(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled,
              adam_step(lr, beta1, beta2, step));
}

// RMSprop (not centered): sq = alpha*sq + (1-alpha)*g^2; with momentum, buf = momentum*buf +
// g/(sqrt(sq)+eps).
EMNIST_HD void rmsprop_update(float& p, float g, float& square_avg, float& buf, float lr,
                              float alpha, float eps, float momentum, float weight_decay) {
  g += weight_decay * p;
  square_avg = alpha * square_avg + (1.0f - alpha) * g * g;
  const float step = g / (sqrtf(square_avg) + eps);
  if (momentum > 0.0f) {
    buf = momentum * buf + step;
    p -= lr * buf;
  } else {
    p -= lr * step;
  }
}

// ---- 2x2 max-pooling: a window's winner ---------------------------------------------------------
// The window's values in row-major order (top-left, top-right, bottom-left, bottom-right) and their
// indices within the plane. Strict comparisons: the first maximum wins ties. Selects rather than
// branches: on real data the winner is unpredictable.
struct WindowMax {
  float value;
  int32_t at;
};
EMNIST_HD WindowMax window_max(const float (&value)[4], const int32_t (&at)[4]) {
  WindowMax best{value[0], at[0]};
  for (int j = 1; j < 4; ++j) {
    const bool greater = value[j] > best.value;
    best.value = greater ? value[j] : best.value;
    best.at = greater ? at[j] : best.at;
  }
  return best;
}

// ---- global average pooling: a plane's sum (in row-major order) over its element count ----------
EMNIST_HD float spatial_mean(float sum, int64_t count) { return sum / static_cast<float>(count); }
EMNIST_HD float spatial_mean_grad(float dy, int64_t count) {
  return dy / static_cast<float>(count);
}

// ---- the weights' exponential moving average -------------------------------------------------
// PyTorch's get_ema_multi_avg_fn(decay): a lerp of the average towards the value by 1 - decay.
EMNIST_HD float ema_update(float average, float value, float decay) {
  return average + (1.0f - decay) * (value - average);
}

// The decay of the update after `step` earlier ones, warmed up as TensorFlow's
// ExponentialMovingAverage does with num_updates: min(decay, (1 + step) / (10 + step)). Without
// it an average with a time constant longer than a short run stays near the initial weights.
EMNIST_HD float ema_decay(float decay, int64_t step) {
  const float t = static_cast<float>(step);
  const float warm = (1.0f + t) / (10.0f + t);
  return warm < decay ? warm : decay;
}

}  // namespace emnist::math
