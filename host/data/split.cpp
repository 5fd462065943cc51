// make_splits and class_counts: train / validation / test index sets, stratified and seeded.
// Each class's indices are shuffled once; every part is then a run of that order (a limited subset
// its prefix, test and validation the next runs), so the parts are disjoint by construction.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "data/stratify.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"

namespace emnist {
namespace {

std::vector<int64_t> all_indices(const ImageSet& set) {
  std::vector<int64_t> indices(static_cast<size_t>(set.count));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  return indices;
}

std::vector<int64_t> sizes(const std::vector<std::vector<int64_t>>& groups) {
  std::vector<int64_t> counts;
  for (const auto& g : groups) counts.push_back(static_cast<int64_t>(g.size()));
  return counts;
}

int64_t total(const std::vector<int64_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), int64_t{0});
}

// Keeps a stratified `limit` of the groups (their first elements); limit <= 0 keeps all.
void keep_stratified(std::vector<std::vector<int64_t>>& groups, int64_t limit) {
  if (limit <= 0) return;
  const auto shares = data::apportion(sizes(groups), limit);
  for (size_t c = 0; c < groups.size(); ++c) groups[c].resize(static_cast<size_t>(shares[c]));
}

// Moves the first shares[c] of each group into `out`.
void take(std::vector<std::vector<int64_t>>& groups, const std::vector<int64_t>& shares,
          Subset& out) {
  for (size_t c = 0; c < groups.size(); ++c) {
    auto& g = groups[c];
    const auto n = static_cast<std::ptrdiff_t>(shares[c]);
    out.indices.insert(out.indices.end(), g.begin(), g.begin() + n);
    g.erase(g.begin(), g.begin() + n);
  }
  std::sort(out.indices.begin(), out.indices.end());
}

std::vector<int64_t> shares_of(const std::vector<int64_t>& counts, double fraction) {
  return data::apportion(counts, std::llround(static_cast<double>(total(counts)) * fraction));
}

void take_rest(const std::vector<std::vector<int64_t>>& groups, Subset& out) {
  for (const auto& g : groups) out.indices.insert(out.indices.end(), g.begin(), g.end());
  std::sort(out.indices.begin(), out.indices.end());
}

void check_fraction(const char* key, double value) {
  if (!(value >= 0.0 && value < 1.0)) {
    throw UserError(std::string(key) + " = " + std::to_string(value) + ": must be in [0, 1)");
  }
}

}  // namespace

Splits make_splits(const Dataset& dataset, const DataConfig& config) {
  check_fraction("data.val_fraction", config.val_fraction);
  const bool holdout = config.split == SplitKind::holdout;
  if (holdout) {
    check_fraction("data.test_fraction", config.test_fraction);
    if (config.val_fraction + config.test_fraction >= 1.0) {
      throw UserError(
          "data.val_fraction + data.test_fraction must be below 1, leaving images to "
          "train on");
    }
  }
  if (!dataset.has_train) {
    throw UserError(dataset_title(dataset.name) +
                    ": the official split needs the train files, and only the test set is "
                    "present; set data.split = holdout to carve train, validation and test sets "
                    "out of the files present, or add the train files");
  }
  const int classes = dataset.num_classes();
  Splits splits;
  splits.train.source = &dataset.train;
  splits.val.source = &dataset.train;

  auto pool = data::shuffled_by_class(dataset.train, all_indices(dataset.train), classes,
                                      config.seed, data::ShufflePurpose::train_pool);
  const int64_t pool_size = dataset.train.count;
  const int64_t limit = config.limit > 0 ? std::min(config.limit, pool_size) : 0;
  keep_stratified(pool, limit);

  if (holdout) {
    splits.test.source = &dataset.train;
    // Both fractions are of the whole pool, and each part's shares are apportioned from the pool's
    // class counts directly, so each is within one image of exact per class.
    const auto counts = sizes(pool);
    const auto test = shares_of(counts, config.test_fraction);
    auto val = shares_of(counts, config.val_fraction);
    for (size_t c = 0; c < val.size(); ++c) val[c] = std::min(val[c], counts[c] - test[c]);
    take(pool, test, splits.test);
    take(pool, val, splits.val);
  } else {
    take(pool, shares_of(sizes(pool), config.val_fraction), splits.val);
    splits.test.source = &dataset.test;
    if (dataset.has_test) {
      auto test = data::shuffled_by_class(dataset.test, all_indices(dataset.test), classes,
                                          config.seed, data::ShufflePurpose::test_set);
      if (limit > 0) {
        // Scaled so that a limited run keeps the official test:train ratio.
        const double ratio =
            static_cast<double>(dataset.test.count) / static_cast<double>(pool_size);
        keep_stratified(test,
                        std::max<int64_t>(1, std::llround(static_cast<double>(limit) * ratio)));
      }
      take_rest(test, splits.test);
    }
  }
  take_rest(pool, splits.train);
  if (splits.train.indices.empty()) {
    throw UserError(
        "the training set is empty after the split (data.limit = " + std::to_string(config.limit) +
        ", data.val_fraction = " + std::to_string(config.val_fraction) + "); use more images");
  }
  return splits;
}

std::vector<int64_t> class_counts(const Subset& subset, int num_classes) {
  std::vector<int64_t> counts(static_cast<size_t>(num_classes), 0);
  for (int64_t i : subset.indices) {
    const int32_t label = subset.source->labels.at(static_cast<size_t>(i));
    if (label < 0 || label >= num_classes) throw std::out_of_range("label outside 0..classes-1");
    ++counts[static_cast<size_t>(label)];
  }
  return counts;
}

}  // namespace emnist
