#include "train/optimizer.hpp"

#include <stdexcept>

namespace emnist {
namespace {

Tensor span(float* base, int64_t begin, int64_t end, Device d) {
  return Tensor(base + begin, {end - begin}, d);
}

}  // namespace

Optimizer::Optimizer(Backend& backend, const TrainConfig& config, int64_t param_count,
                     int64_t weight_count)
    : backend_(backend),
      params_(config.optimizer_params()),
      l1_(static_cast<float>(config.l1)),
      param_count_(param_count),
      weight_count_(weight_count) {
  if (weight_count < 0 || weight_count > param_count)
    throw std::invalid_argument("optimizer: weight prefix outside the parameters");
  ArenaPlan plan;
  const size_t s1 = plan.add_array<float>(param_count);
  const size_t s2 = plan.add_array<float>(param_count);
  const size_t pen = plan.add_array<float>(1);
  memory_ = DeviceBuffer(backend, plan.total());
  state1_ = memory_.at<float>(s1);
  state2_ = memory_.at<float>(s2);
  penalty_ = memory_.at<float>(pen);
}

Tensor Optimizer::state1() const { return Tensor(state1_, {param_count_}, backend_.device()); }
Tensor Optimizer::state2() const { return Tensor(state2_, {param_count_}, backend_.device()); }

void Optimizer::step(Tensor params, Tensor grads, const StepScalars* scalars) {
  const Device d = backend_.device();
  if (l1_ > 0.0f && weight_count_ > 0) {
    backend_.regularize(span(params.data, 0, weight_count_, d),
                        span(grads.data, 0, weight_count_, d), l1_, 0.0f, penalty_);
  }
  if (params_.weight_decay == 0.0f || weight_count_ == param_count_ || weight_count_ == 0) {
    // weight_count_ == 0 cannot carry decay; all-weights needs no split: one pass either way.
    OptimizerParams p = params_;
    if (weight_count_ == 0) p.weight_decay = 0.0f;
    backend_.optimizer_step(p, params, grads, state1(), state2(), scalars);
    return;
  }
  backend_.optimizer_step(params_, span(params.data, 0, weight_count_, d),
                          span(grads.data, 0, weight_count_, d), span(state1_, 0, weight_count_, d),
                          span(state2_, 0, weight_count_, d), scalars);
  OptimizerParams rest = params_;
  rest.weight_decay = 0.0f;
  backend_.optimizer_step(rest, span(params.data, weight_count_, param_count_, d),
                          span(grads.data, weight_count_, param_count_, d),
                          span(state1_, weight_count_, param_count_, d),
                          span(state2_, weight_count_, param_count_, d), scalars);
}

}  // namespace emnist
