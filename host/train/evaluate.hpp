#pragma once
// One inference pass over every sample of a split, in subset order, in batches of the model's
// max_batch (the last one smaller), so training's final evaluation and a later `emnist eval` of the
// saved model see identical batches and give identical numbers.
#include <vector>

#include "emnist/metrics.hpp"
#include "train/batches.hpp"
#include "train/step_runner.hpp"

namespace emnist {

struct EvalResult {
  Totals totals;
  std::vector<Prediction> predictions;  // in subset order, when asked for
  std::vector<float> probabilities;     // [samples, classes] in subset order, when asked for
};

EvalResult evaluate(StepRunner& runner, Feeder& feeder, const Subset& subset, bool with_predictions,
                    bool with_probabilities = false);

}  // namespace emnist
