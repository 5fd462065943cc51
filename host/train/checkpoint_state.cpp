#include <fmt/format.h>

#include "emnist/checkpoint.hpp"
#include "emnist/error.hpp"
#include "emnist/model.hpp"
#include "train/optimizer.hpp"
#include "train/weight_average.hpp"

namespace emnist {

void capture_state(Checkpoint& checkpoint, Model& model, const Optimizer& optimizer,
                   WeightAverage& average) {
  checkpoint.model = model.state_dict();
  if (average.on()) {
    const AverageInModel in_model(average);
    checkpoint.average = model.state_dict();
  }
  const int64_t count = model.parameter_count();
  const size_t bytes = sizeof(float) * static_cast<size_t>(count);
  checkpoint.state1 = {{count}, std::vector<float>(static_cast<size_t>(count))};
  checkpoint.state2 = {{count}, std::vector<float>(static_cast<size_t>(count))};
  model.backend().copy_to_host(checkpoint.state1.values.data(), optimizer.state1().data, bytes);
  model.backend().copy_to_host(checkpoint.state2.values.data(), optimizer.state2().data, bytes);
}

void restore_state(const Checkpoint& checkpoint, Model& model, const Optimizer& optimizer,
                   WeightAverage& average, const std::string& source) {
  model.load_state_dict(checkpoint.model, source);
  if (average.on()) {
    if (checkpoint.average.empty())
      throw UserError(fmt::format(
          "{}: the checkpoint has no weight average (\"ema.\" tensors) for train.ema", source));
    const AverageInModel in_model(average);
    model.load_state_dict(checkpoint.average, source + " (the weight average)");
  }
  const size_t count = static_cast<size_t>(model.parameter_count());
  if (checkpoint.state1.values.size() != count || checkpoint.state2.values.size() != count)
    throw UserError(fmt::format("{}: the optimizer state has {} values, the model {} parameters",
                                source, checkpoint.state1.values.size(), count));
  model.backend().copy_from_host(optimizer.state1().data, checkpoint.state1.values.data(),
                                 sizeof(float) * count);
  model.backend().copy_from_host(optimizer.state2().data, checkpoint.state2.values.data(),
                                 sizeof(float) * count);
}

}  // namespace emnist
