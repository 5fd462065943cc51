// One pass over the flat parameter buffer through the shared update rules of element_math.hpp
// (PyTorch's torch.optim formulas). The learning rate and step counter are read from backend
// memory, as the CUDA backend reads them, so a captured step replays with new values.
#include "cpu/cpu_backend.hpp"
#include "cpu/cpu_parallel.hpp"
#include "emnist/element_math.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::cpu {
namespace {

// One plain loop per rule over a span, every hyper-parameter a by-value argument: the compiler
// keeps them in registers and vectorises the loop (see parallel_ranges).
void sgd_span(float* p, const float* g, float* velocity, int64_t n, float lr, float momentum,
              bool nesterov, float weight_decay, bool first) {
  if (velocity == nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      float unused = 0.0f;  // no velocity without momentum
      math::sgd_update(p[i], g[i], unused, lr, 0.0f, false, weight_decay, first);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    math::sgd_update(p[i], g[i], velocity[i], lr, momentum, nesterov, weight_decay, first);
  }
}

void adam_span(float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1,
               float beta2, float eps, float weight_decay, bool decoupled, math::AdamStep s) {
  for (int64_t i = 0; i < n; ++i) {
    math::adam_update(p[i], g[i], m[i], v[i], lr, beta1, beta2, eps, weight_decay, decoupled, s);
  }
}

void rmsprop_span(float* p, const float* g, float* square_avg, float* buf, int64_t n, float lr,
                  float alpha, float eps, float momentum, float weight_decay) {
  if (buf == nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      float unused = 0.0f;  // no buffer without momentum
      math::rmsprop_update(p[i], g[i], square_avg[i], unused, lr, alpha, eps, 0.0f, weight_decay);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    math::rmsprop_update(p[i], g[i], square_avg[i], buf[i], lr, alpha, eps, momentum, weight_decay);
  }
}

}  // namespace

void CpuBackend::optimizer_step(const OptimizerParams& o, Tensor params, Tensor grads,
                                Tensor state1, Tensor state2, const StepScalars* scalars) {
  checks::optimizer_step(Device::cpu, o, params, grads, state1, state2, scalars);
  const int64_t n = params.numel();

  float* p = params.data;
  const float* g = grads.data;
  const float lr = scalars->lr;
  switch (o.kind) {
    case OptimizerKind::sgd: {
      float* velocity = nullptr;
      if (o.momentum != 0.0f) velocity = state1.data;
      const bool first = scalars->step == 0;
      parallel_ranges(n, n, [&](int64_t b, int64_t e) {
        sgd_span(p + b, g + b, velocity == nullptr ? nullptr : velocity + b, e - b, lr, o.momentum,
                 o.nesterov, o.weight_decay, first);
      });
      return;
    }
    case OptimizerKind::adam:
    case OptimizerKind::adamw: {
      float* m = state1.data;
      float* v = state2.data;
      const bool decoupled = o.kind == OptimizerKind::adamw;
      // Adam's t counts from 1; scalars->step counts the steps already taken.
      const math::AdamStep s = math::adam_step(lr, o.beta1, o.beta2, scalars->step + 1);
      parallel_ranges(n, n, [&](int64_t b, int64_t e) {
        adam_span(p + b, g + b, m + b, v + b, e - b, lr, o.beta1, o.beta2, o.eps, o.weight_decay,
                  decoupled, s);
      });
      return;
    }
    case OptimizerKind::rmsprop: {
      float* buf = o.momentum > 0.0f ? state2.data : nullptr;
      float* square_avg = state1.data;
      parallel_ranges(n, n, [&](int64_t b, int64_t e) {
        rmsprop_span(p + b, g + b, square_avg + b, buf == nullptr ? nullptr : buf + b, e - b, lr,
                     o.alpha, o.eps, o.momentum, o.weight_decay);
      });
      return;
    }
  }
}

void CpuBackend::ema_update(Tensor average, Tensor values, float decay,
                            const StepScalars* scalars) {
  checks::ema_update(Device::cpu, average, values, decay, scalars);
  const float d = math::ema_decay(decay, scalars->step);
  const int64_t n = average.numel();
  float* a = average.data;
  const float* v = values.data;
  parallel_ranges(n, n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) a[i] = math::ema_update(a[i], v[i], d);
  });
}

}  // namespace emnist::cpu
