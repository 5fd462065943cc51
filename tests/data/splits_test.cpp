// Splits and folds on synthetic label sets: disjoint, stratified, seeded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"

using Catch::Contains;

namespace {

// Unbalanced classes: class c has 20 + 13*c images (labels only: splits never look at pixels).
emnist::ImageSet labelled_set(int classes, int base = 20, int step = 13) {
  emnist::ImageSet set;
  set.rows = set.cols = 1;
  for (int c = 0; c < classes; ++c)
    for (int i = 0; i < base + step * c; ++i) set.labels.push_back(c);
  // Interleave the classes so that index order says nothing about class.
  std::vector<int32_t> mixed(set.labels.size());
  for (size_t i = 0; i < mixed.size(); ++i) mixed[i] = set.labels[(i * 7919) % mixed.size()];
  set.labels = mixed;
  set.count = static_cast<int64_t>(set.labels.size());
  set.pixels.assign(set.labels.size(), 0);
  return set;
}

emnist::Dataset dataset(int classes, bool with_test) {
  emnist::Dataset d;
  d.name = "emnist-balanced";
  for (int c = 0; c < classes; ++c) d.class_names.push_back(std::to_string(c));
  d.train = labelled_set(classes);
  d.has_train = true;
  if (with_test) {
    d.test = labelled_set(classes, 5, 3);
    d.has_test = true;
  }
  return d;
}

std::vector<int64_t> counts_of(const emnist::ImageSet& set, int classes) {
  emnist::Subset all{&set, {}};
  for (int64_t i = 0; i < set.count; ++i) all.indices.push_back(i);
  return emnist::class_counts(all, classes);
}

// Every class's share of `part` within one image of its share of `whole`.
void check_stratified(const std::vector<int64_t>& part, const std::vector<int64_t>& whole) {
  REQUIRE(part.size() == whole.size());
  const double fraction =
      static_cast<double>(std::accumulate(part.begin(), part.end(), int64_t{0})) /
      static_cast<double>(std::accumulate(whole.begin(), whole.end(), int64_t{0}));
  for (size_t c = 0; c < part.size(); ++c) {
    INFO("class " << c << ": " << part[c] << " of " << whole[c] << ", fraction " << fraction);
    CHECK(std::abs(static_cast<double>(part[c]) - fraction * static_cast<double>(whole[c])) <= 1.0);
  }
}

bool ascending_unique(const std::vector<int64_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end();
}

std::vector<int64_t> joined(std::initializer_list<const std::vector<int64_t>*> parts) {
  std::vector<int64_t> all;
  for (const auto* p : parts) all.insert(all.end(), p->begin(), p->end());
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

}  // namespace

TEST_CASE("official split: validation carved from train, test is the test set", "[data][split]") {
  const auto d = dataset(7, true);
  emnist::DataConfig config;
  config.val_fraction = 0.15;
  const auto s = emnist::make_splits(d, config);
  CHECK(s.train.source == &d.train);
  CHECK(s.val.source == &d.train);
  CHECK(s.test.source == &d.test);
  CHECK(ascending_unique(s.train.indices));
  CHECK(ascending_unique(s.val.indices));
  CHECK(joined({&s.train.indices, &s.val.indices}) == iota(d.train.count));  // disjoint, complete
  CHECK(s.test.indices == iota(d.test.count));
  CHECK(s.val.size() == std::llround(0.15 * static_cast<double>(d.train.count)));
  check_stratified(emnist::class_counts(s.val, 7), counts_of(d.train, 7));
}

TEST_CASE("holdout split: test, validation and train are disjoint and stratified",
          "[data][split]") {
  const auto d = dataset(9, false);
  emnist::DataConfig config;
  config.split = emnist::SplitKind::holdout;
  config.val_fraction = 0.1;
  config.test_fraction = 0.25;
  const auto s = emnist::make_splits(d, config);
  CHECK(s.test.source == &d.train);
  CHECK(ascending_unique(s.test.indices));
  CHECK(joined({&s.train.indices, &s.val.indices, &s.test.indices}) == iota(d.train.count));
  const auto whole = counts_of(d.train, 9);
  check_stratified(emnist::class_counts(s.test, 9), whole);
  check_stratified(emnist::class_counts(s.val, 9), whole);  // of the whole pool
  const auto n = static_cast<double>(d.train.count);
  CHECK(s.test.size() == std::llround(0.25 * n));
  CHECK(std::abs(static_cast<double>(s.val.size()) - 0.1 * n) <= 1.0);
}

TEST_CASE("limit takes a stratified subset, and scales the official test set", "[data][split]") {
  const auto d = dataset(6, true);
  emnist::DataConfig config;
  config.limit = 100;
  config.val_fraction = 0.2;
  const auto s = emnist::make_splits(d, config);
  CHECK(s.train.size() + s.val.size() == 100);
  CHECK(s.val.size() == 20);
  std::vector<int64_t> subset(6, 0);
  const auto train = emnist::class_counts(s.train, 6), val = emnist::class_counts(s.val, 6);
  for (size_t c = 0; c < 6; ++c) subset[c] = train[c] + val[c];
  check_stratified(subset, counts_of(d.train, 6));
  check_stratified(val, subset);
  CHECK(s.test.size() == std::llround(100.0 / static_cast<double>(d.train.count) *
                                      static_cast<double>(d.test.count)));
  check_stratified(emnist::class_counts(s.test, 6), counts_of(d.test, 6));

  config.limit = 1000000;  // more than there is: everything
  const auto all = emnist::make_splits(d, config);
  CHECK(all.train.size() + all.val.size() == d.train.count);
  CHECK(all.test.size() == d.test.count);
}

TEST_CASE("splits depend on the seed, and only on it", "[data][split]") {
  const auto d = dataset(5, false);
  emnist::DataConfig config;
  config.split = emnist::SplitKind::holdout;
  const auto a = emnist::make_splits(d, config), b = emnist::make_splits(d, config);
  CHECK(a.train.indices == b.train.indices);
  CHECK(a.val.indices == b.val.indices);
  CHECK(a.test.indices == b.test.indices);
  config.seed = 2;
  const auto c = emnist::make_splits(d, config);
  CHECK(c.test.indices != a.test.indices);
  CHECK(c.val.indices != a.val.indices);
  CHECK(c.test.size() == a.test.size());
}

TEST_CASE("the official split needs train files", "[data][split]") {
  auto d = dataset(3, true);
  d.name = "emnist-bymerge";
  d.has_train = false;
  d.train = {};
  REQUIRE_THROWS_WITH(emnist::make_splits(d, emnist::DataConfig{}),
                      Contains("EMNIST ByMerge: the official split needs the train files") &&
                          Contains("set data.split = holdout"));
}

TEST_CASE("stratified_kfold partitions into balanced, stratified folds", "[data][split]") {
  const auto set = labelled_set(8);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < set.count; i += 2) indices.push_back(i);  // a subset, as a train split is
  emnist::Subset whole{&set, indices};
  const auto whole_counts = emnist::class_counts(whole, 8);

  const auto folds = emnist::stratified_kfold(set, indices, 5, 7);
  REQUIRE(folds.size() == 5);
  std::vector<int64_t> all;
  size_t smallest = indices.size(), largest = 0;
  for (const auto& fold : folds) {
    CHECK(ascending_unique(fold));
    all.insert(all.end(), fold.begin(), fold.end());
    smallest = std::min(smallest, fold.size());
    largest = std::max(largest, fold.size());
    check_stratified(emnist::class_counts(emnist::Subset{&set, fold}, 8), whole_counts);
  }
  std::sort(all.begin(), all.end());
  CHECK(all == indices);
  CHECK(largest - smallest <= 1);

  CHECK(emnist::stratified_kfold(set, indices, 5, 7) == folds);
  CHECK(emnist::stratified_kfold(set, indices, 5, 8) != folds);
  REQUIRE_THROWS_WITH(emnist::stratified_kfold(set, indices, 1, 7),
                      Contains("cross-validation needs between 2 and"));
  REQUIRE_THROWS_AS(emnist::stratified_kfold(set, {1, 2}, 3, 7), emnist::UserError);
}

TEST_CASE("class_counts counts a subset's labels", "[data][split]") {
  emnist::ImageSet set;
  set.labels = {2, 0, 2, 1, 2};
  set.count = 5;
  CHECK(emnist::class_counts(emnist::Subset{&set, {0, 2, 3}}, 4) ==
        std::vector<int64_t>{0, 1, 2, 0});
}
