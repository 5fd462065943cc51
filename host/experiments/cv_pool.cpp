#include "experiments/cv_pool.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "data/catalog.hpp"
#include "data/classes.hpp"
#include "data/raw_split.hpp"
#include "emnist/error.hpp"

namespace emnist::sweep {
namespace {

// load_dataset reads every file present; a sweep under the official split must not even open the
// test files, so this reads the train set alone, the way load_dataset reads it.
Dataset load_train_files(const DataConfig& config) {
  DatasetFiles files = dataset_files(config);
  if (files.train_images.empty())
    throw UserError(fmt::format(
        "{}: no train images in {}; a sweep with data.split = \"official\" cross-validates on the "
        "train files alone and never reads the test files; add the train files, or set "
        "data.split = \"holdout\" to carve a test part out of the files present first",
        dataset_title(files.name), files.dir.string()));
  if (files.format != "csv" && files.train_labels.empty())
    throw UserError(
        fmt::format("{}: found, but not its labels file beside it", files.train_images.string()));
  files.test_images.clear();
  files.test_labels.clear();
  data::RawSplit raw = data::read_split(files, true, true);
  const int max_label =
      raw.labels.empty() ? 0 : *std::max_element(raw.labels.begin(), raw.labels.end());
  const data::ClassScheme scheme = data::class_scheme(files, max_label);
  Dataset dataset;
  dataset.name = files.name;
  dataset.class_names = scheme.names;
  dataset.has_train = true;
  dataset.train.labels = data::map_labels(scheme, raw.labels, raw.labels_path);
  if (data::is_emnist(files.name)) transpose_images(raw.images);
  dataset.train.count = raw.images.count;
  dataset.train.rows = raw.images.rows;
  dataset.train.cols = raw.images.cols;
  dataset.train.pixels = std::move(raw.images.pixels);
  spdlog::info("{}: {} train images read ({}); the test files were not opened", files.name,
               dataset.train.count, files.train_images.filename().string());
  return dataset;
}

}  // namespace

CvPool load_cv_pool(const DataConfig& config) {
  CvPool pool;
  const bool holdout = config.split == "holdout";
  pool.dataset = holdout ? load_dataset(config) : load_train_files(config);
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
