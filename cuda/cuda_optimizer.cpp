// One optimizer pass over the flat parameter buffer (see kernels/optimizer.cu): which state each
// rule needs is checked here, as the CPU backend checks it.
#include "cuda_backend.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::optimizer_step(const OptimizerParams& o, Tensor params, Tensor grads,
                                 Tensor state1, Tensor state2, const StepScalars* scalars) {
  const char* op = "optimizer_step";
  const OpRange range{op};
  checks::optimizer_step(Device::cuda, o, params, grads, state1, state2, scalars);
  const int64_t n = params.numel();
  // The states the kind uses (checked above); the others stay null for the kernel.
  float* s1 = nullptr;
  float* s2 = nullptr;
  switch (o.kind) {
    case OptimizerKind::sgd:
      if (o.momentum != 0.0f) s1 = state1.data;
      break;
    case OptimizerKind::adam:
    case OptimizerKind::adamw:
      s1 = state1.data;
      s2 = state2.data;
      break;
    case OptimizerKind::rmsprop:
      s1 = state1.data;
      if (o.momentum > 0.0f) s2 = state2.data;
      break;
  }
  kernels::optimizer_step(o, params.data, grads.data, s1, s2, n, scalars, stream_.get());
}

void CudaBackend::ema_update(Tensor average, Tensor values, float decay,
                             const StepScalars* scalars) {
  const char* op = "ema_update";
  const OpRange range{op};
  checks::ema_update(Device::cuda, average, values, decay, scalars);
  kernels::ema_update(average.data, values.data, average.numel(), decay, scalars, stream_.get());
}

}  // namespace emnist::cuda
