#include <algorithm>

#include "emnist/metrics.hpp"

namespace emnist {

Prediction rank_prediction(int64_t index, int32_t truth, const float* logits, const float* probs,
                           int classes) {
  Prediction p;
  p.index = index;
  p.truth = truth;
  p.k = std::min(classes, 3);
  // Selection by repeated scans: k is at most 3, and a strict ">" keeps the lower class on ties.
  for (int r = 0; r < p.k; ++r) {
    int best = -1;
    for (int c = 0; c < classes; ++c) {
      bool taken = false;
      for (int q = 0; q < r; ++q) taken = taken || p.top[static_cast<size_t>(q)] == c;
      if (taken) continue;
      if (best < 0 || logits[c] > logits[best]) best = c;
    }
    p.top[static_cast<size_t>(r)] = best;
    p.prob[static_cast<size_t>(r)] = probs[best];
  }
  return p;
}

}  // namespace emnist
