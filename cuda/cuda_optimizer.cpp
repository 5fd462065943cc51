// One optimizer pass over the flat parameter buffer (see kernels/optimizer.cu): which state each
// rule needs is checked here, as the CPU backend checks it.
#include "cuda_backend.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::optimizer_step(const OptimizerParams& o, Tensor params, Tensor grads,
                                 Tensor state1, Tensor state2, const StepScalars* scalars) {
  const char* op = "optimizer_step";
  const OpRange range{op};
  require_tensor(params, -1, op, "params");
  require_tensor(grads, -1, op, "grads");
  require(scalars != nullptr, op, "scalars is null");
  const int64_t n = params.numel();
  require(grads.numel() == n, op, "params and grads differ in size");
  const auto require_state = [&](const Tensor& t, const char* name) {
    require_tensor(t, -1, op, name);
    require(t.numel() == n, op, "optimizer state and params differ in size");
  };
  float* s1 = nullptr;
  float* s2 = nullptr;
  switch (o.kind) {
    case OptimizerKind::sgd:
      if (o.momentum != 0.0f) {
        require_state(state1, "state1 (velocity)");
        s1 = state1.data;
      }
      break;
    case OptimizerKind::adam:
    case OptimizerKind::adamw:
      require_state(state1, "state1 (m)");
      require_state(state2, "state2 (v)");
      s1 = state1.data;
      s2 = state2.data;
      break;
    case OptimizerKind::rmsprop:
      require_state(state1, "state1 (square_avg)");
      s1 = state1.data;
      if (o.momentum > 0.0f) {
        require_state(state2, "state2 (momentum buffer)");
        s2 = state2.data;
      }
      break;
    default:
      fail(op, "unknown optimizer kind");
  }
  kernels::optimizer_step(o, params.data, grads.data, s1, s2, n, scalars, stream_.get());
}

}  // namespace emnist::cuda
