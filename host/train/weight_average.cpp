#include "train/weight_average.hpp"

#include "emnist/backend.hpp"

namespace emnist {

WeightAverage::WeightAverage(Model& model, float decay) : model_(model), decay_(decay) {
  if (!on()) return;
  ArenaPlan plan;
  const size_t params = plan.add_array<float>(model.parameter_count());
  const size_t buffers = plan.add_array<float>(model.buffer_count());
  const size_t scratch =
      plan.add_array<float>(std::max(model.parameter_count(), model.buffer_count()));
  memory_ = DeviceBuffer(model.backend(), plan.total());
  params_ = memory_.at<float>(params);
  buffers_ = memory_.at<float>(buffers);
  scratch_ = memory_.at<float>(scratch);
  Backend& b = model.backend();
  b.copy(params_, model.params().data,
         sizeof(float) * static_cast<size_t>(model.parameter_count()));
  if (model.buffer_count() > 0)
    b.copy(buffers_, model.buffers().data,
           sizeof(float) * static_cast<size_t>(model.buffer_count()));
}

void WeightAverage::update(const StepScalars* scalars) {
  if (!on()) return;
  Backend& b = model_.backend();
  const Device d = b.device();
  b.ema_update(Tensor(params_, {model_.parameter_count()}, d), model_.params(), decay_, scalars);
  if (model_.buffer_count() > 0)
    b.ema_update(Tensor(buffers_, {model_.buffer_count()}, d), model_.buffers(), decay_, scalars);
}

void WeightAverage::swap() {
  if (!on()) return;
  Backend& b = model_.backend();
  const auto exchange = [&](float* model_values, float* average, int64_t count) {
    if (count == 0) return;
    const size_t bytes = sizeof(float) * static_cast<size_t>(count);
    b.copy(scratch_, model_values, bytes);
    b.copy(model_values, average, bytes);
    b.copy(average, scratch_, bytes);
  };
  exchange(model_.params().data, params_, model_.parameter_count());
  exchange(model_.buffers().data, buffers_, model_.buffer_count());
}

}  // namespace emnist
