// One optimizer pass over a flat parameter span through the shared update rules of
// element_math.hpp. The learning rate and step counter are read from the device-side StepScalars,
// so a captured graph replays with each step's values.
#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void sgd_kernel(float* p, const float* g, float* velocity, int64_t n,
                           const StepScalars* scalars, float momentum, bool nesterov,
                           float weight_decay) {
  const float lr = scalars->lr;
  const bool first = scalars->step == 0;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    float value = p[i];
    if (velocity == nullptr) {
      float unused = 0.0f;  // no velocity without momentum
      math::sgd_update(value, g[i], unused, lr, 0.0f, false, weight_decay, first);
    } else {
      float v = velocity[i];
      math::sgd_update(value, g[i], v, lr, momentum, nesterov, weight_decay, first);
      velocity[i] = v;
    }
    p[i] = value;
  }
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, int64_t n,
                            const StepScalars* scalars, float beta1, float beta2, float eps,
                            float weight_decay, bool decoupled) {
  const float lr = scalars->lr;
  // Adam's t counts from 1; scalars->step counts the steps already taken.
  const math::AdamStep s = math::adam_step(lr, beta1, beta2, scalars->step + 1);
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    float value = p[i], mi = m[i], vi = v[i];
    math::adam_update(value, g[i], mi, vi, lr, beta1, beta2, eps, weight_decay, decoupled, s);
    p[i] = value;
    m[i] = mi;
    v[i] = vi;
  }
}

__global__ void rmsprop_kernel(float* p, const float* g, float* square_avg, float* buf, int64_t n,
                               const StepScalars* scalars, float alpha, float eps, float momentum,
                               float weight_decay) {
  const float lr = scalars->lr;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    float value = p[i], sq = square_avg[i];
    if (buf == nullptr) {
      float unused = 0.0f;  // no buffer without momentum
      math::rmsprop_update(value, g[i], sq, unused, lr, alpha, eps, 0.0f, weight_decay);
    } else {
      float b = buf[i];
      math::rmsprop_update(value, g[i], sq, b, lr, alpha, eps, momentum, weight_decay);
      buf[i] = b;
    }
    p[i] = value;
    square_avg[i] = sq;
  }
}

__global__ void ema_kernel(float* average, const float* values, int64_t n, float decay,
                           const StepScalars* scalars) {
  const float d = math::ema_decay(decay, scalars->step);
  for (int64_t i = global_thread(); i < n; i += grid_stride())
    average[i] = math::ema_update(average[i], values[i], d);
}

}  // namespace

void ema_update(float* average, const float* values, int64_t n, float decay,
                const StepScalars* scalars, cudaStream_t stream) {
  if (n <= 0) return;
  ema_kernel<<<grid_for(n), kBlock, 0, stream>>>(average, values, n, decay, scalars);
  EMNIST_LAUNCH_CHECK();
}

void optimizer_step(const OptimizerParams& o, float* params, const float* grads, float* state1,
                    float* state2, int64_t n, const StepScalars* scalars, cudaStream_t stream) {
  if (n <= 0) return;
  const unsigned grid = grid_for(n);
  switch (o.kind) {
    case OptimizerKind::sgd:
      sgd_kernel<<<grid, kBlock, 0, stream>>>(params, grads, o.momentum != 0.0f ? state1 : nullptr,
                                              n, scalars, o.momentum, o.nesterov, o.weight_decay);
      break;
    case OptimizerKind::adam:
    case OptimizerKind::adamw:
      adam_kernel<<<grid, kBlock, 0, stream>>>(params, grads, state1, state2, n, scalars, o.beta1,
                                               o.beta2, o.eps, o.weight_decay,
                                               o.kind == OptimizerKind::adamw);
      break;
    case OptimizerKind::rmsprop:
      rmsprop_kernel<<<grid, kBlock, 0, stream>>>(params, grads, state1,
                                                  o.momentum > 0.0f ? state2 : nullptr, n, scalars,
                                                  o.alpha, o.eps, o.momentum, o.weight_decay);
      break;
  }
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
