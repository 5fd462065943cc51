// stratified_kfold: k parts for cross-validation, each with the class proportions of the whole.
#include <algorithm>

#include "data/stratify.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"

namespace emnist {

std::vector<std::vector<int64_t>> stratified_kfold(const ImageSet& set,
                                                   const std::vector<int64_t>& indices, int k,
                                                   uint64_t seed) {
  if (k < 2 || static_cast<size_t>(k) > indices.size()) {
    throw UserError("cross-validation needs between 2 and " + std::to_string(indices.size()) +
                    " folds (one image at least in each), not " + std::to_string(k));
  }
  int classes = 0;
  for (int64_t i : indices) classes = std::max(classes, set.labels.at(static_cast<size_t>(i)) + 1);
  const auto groups =
      data::shuffled_by_class(set, indices, classes, seed, data::ShufflePurpose::kfold);
  std::vector<std::vector<int64_t>> parts(static_cast<size_t>(k));
  // The deal goes on where the previous class stopped, so the parts' sizes differ by at most one
  // overall, not by up to one per class.
  size_t next = 0;
  for (const auto& group : groups) {
    for (int64_t i : group) {
      parts[next].push_back(i);
      next = (next + 1) % parts.size();
    }
  }
  for (auto& part : parts) std::sort(part.begin(), part.end());
  return parts;
}

}  // namespace emnist
