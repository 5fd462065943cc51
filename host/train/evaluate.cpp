#include "train/evaluate.hpp"

#include <algorithm>

namespace emnist {

EvalResult evaluate(StepRunner& runner, Feeder& feeder, const Subset& subset, bool with_predictions,
                    bool with_probabilities) {
  Model& model = runner.model();
  const int classes = model.num_classes();
  const int64_t batch = model.max_batch();
  EvalResult result;
  std::vector<float> logits, probs;
  const bool read_back = with_predictions || with_probabilities;
  if (read_back) {
    logits.resize(static_cast<size_t>(batch * classes));
    probs.resize(logits.size());
  }
  if (with_predictions) result.predictions.reserve(static_cast<size_t>(subset.size()));
  if (with_probabilities)
    result.probabilities.reserve(static_cast<size_t>(subset.size() * classes));
  runner.reset_totals();
  for (int64_t first = 0; first < subset.size(); first += batch) {
    const int64_t n = std::min(batch, subset.size() - first);
    feeder.load_range(model.batch(), subset, first, n);
    runner.eval_batch(n);
    if (!read_back) continue;
    runner.read_outputs(n, logits.data(), probs.data());
    if (with_probabilities)
      result.probabilities.insert(result.probabilities.end(), probs.begin(),
                                  probs.begin() + n * classes);
    if (!with_predictions) continue;
    for (int64_t b = 0; b < n; ++b) {
      const size_t row = static_cast<size_t>(b * classes);
      result.predictions.push_back(rank_prediction(
          subset.indices[static_cast<size_t>(first + b)], feeder.labels()[static_cast<size_t>(b)],
          logits.data() + row, probs.data() + row, classes));
    }
  }
  result.totals = runner.read_totals();
  return result;
}

}  // namespace emnist
