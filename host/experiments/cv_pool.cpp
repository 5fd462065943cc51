#include "experiments/cv_pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "data/catalog.hpp"
#include "emnist/error.hpp"

namespace emnist::sweep {
namespace {

// Under the official split the test files stay closed; a folder without train files cannot be
// cross-validated, and saying why beats load_dataset's generic "no images".
void require_train_files(const DataConfig& config) {
  const DatasetFiles files = dataset_files(config);
  if (files.train_images.empty())
    throw UserError(fmt::format(
        "{}: no train images in {}; a sweep with data.split = \"official\" cross-validates on the "
        "train files alone and never reads the test files; add the train files, or set "
        "data.split = \"holdout\" to carve a test part out of the files present first",
        dataset_title(files.name), files.dir.string()));
}

}  // namespace

CvPool load_cv_pool(const DataConfig& config) {
  CvPool pool;
  const bool holdout = config.split == SplitKind::holdout;
  if (!holdout) require_train_files(config);
  pool.dataset = load_dataset(config, holdout ? DataFiles::all : DataFiles::train_only);
  const Splits splits = make_splits(pool.dataset, config);
  // make_splits's validation part is only a convention of single runs: the folds take its place.
  std::merge(splits.train.indices.begin(), splits.train.indices.end(), splits.val.indices.begin(),
             splits.val.indices.end(), std::back_inserter(pool.indices));
  const auto n = static_cast<int64_t>(pool.indices.size());
  if (holdout) {
    pool.test_held_out = splits.test.size();
    pool.note = fmt::format(
        "cross-validation on {} images; holdout split: the {} test images were carved away first "
        "and are never used",
        n, pool.test_held_out);
  } else {
    pool.note = fmt::format(
        "cross-validation on {} images of the train files; official split: the test files were "
        "never read",
        n);
  }
  return pool;
}

}  // namespace emnist::sweep
