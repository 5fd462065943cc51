// load_dataset: the named dataset's files, read whole, checked against each other, labels mapped to
// classes, EMNIST turned upright.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "data/catalog.hpp"
#include "data/classes.hpp"
#include "data/data_error.hpp"
#include "data/raw_split.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace {

[[noreturn]] void fail_no_images(const DatasetFiles& files) {
  if (files.name == "idx") {
    throw UserError(
        "dataset idx: no images given: set data.train_images and data.train_labels (and/or "
        "data.test_images and data.test_labels) to IDX files, or use a named dataset");
  }
  std::error_code ec;
  std::string where = files.dir.string();
  if (!std::filesystem::is_directory(files.dir, ec)) {
    where += " (no such folder)";
  } else if (files.labels_only()) {
    where += " (only its label files are there)";
  }
  throw UserError("no " + dataset_title(files.name) + " images in " + where + ": " +
                  data::files_hint(files.name));
}

// An images file without its labels file is a half-present set, not an absent one.
void check_labels_present(const DatasetFiles& files, bool train) {
  const auto& images = train ? files.train_images : files.test_images;
  const auto& labels = train ? files.train_labels : files.test_labels;
  if (images.empty() || files.format == DataFormat::csv || !labels.empty()) return;
  const char* set = train ? "train" : "test";
  if (files.name == "idx") {
    data::fail(images, std::string("given as data.") + set + "_images but data." + set +
                           "_labels is not set; give both");
  }
  const std::string expected = data::official_names(files.name, train).labels;
  data::fail(images, "found, but not its labels file " + expected + "[.gz] beside it; put both " +
                         "files of the " + set + " set in " + files.dir.string());
}

ImageSet to_image_set(data::RawSplit&& raw, const data::ClassScheme& scheme, bool upright) {
  ImageSet set;
  set.labels = data::map_labels(scheme, raw.labels, raw.labels_path);
  if (upright) transpose_images(raw.images);
  set.count = raw.images.count;
  set.rows = raw.images.rows;
  set.cols = raw.images.cols;
  set.pixels = std::move(raw.images.pixels);
  return set;
}

void append(ImageSet& pool, ImageSet&& more) {
  pool.pixels.insert(pool.pixels.end(), more.pixels.begin(), more.pixels.end());
  pool.labels.insert(pool.labels.end(), more.labels.begin(), more.labels.end());
  pool.count += more.count;
}

}  // namespace

Dataset load_dataset(const DataConfig& config, DataFiles which) {
  const auto start = std::chrono::steady_clock::now();
  DatasetFiles files = dataset_files(config);
  if (which == DataFiles::train_only) {
    files.test_images.clear();
    files.test_labels.clear();
  }
  if (!files.has_images()) fail_no_images(files);
  check_labels_present(files, true);
  check_labels_present(files, false);

  std::optional<data::RawSplit> train, test;
  if (!files.train_images.empty()) train = data::read_split(files, true, true);
  if (!files.test_images.empty()) test = data::read_split(files, false, true);
  if (train && test &&
      (train->images.rows != test->images.rows || train->images.cols != test->images.cols)) {
    data::fail(test->images_path,
               "images of " + std::to_string(test->images.rows) + "x" +
                   std::to_string(test->images.cols) + " but the train images (" +
                   train->images_path.string() + ") are " + std::to_string(train->images.rows) +
                   "x" + std::to_string(train->images.cols) + "; both sets must have one size");
  }

  int max_label = 0;
  for (const auto* raw : {train ? &*train : nullptr, test ? &*test : nullptr}) {
    if (raw != nullptr && !raw->labels.empty()) {
      max_label = std::max(max_label, *std::max_element(raw->labels.begin(), raw->labels.end()));
    }
  }
  const data::ClassScheme scheme = data::class_scheme(files, max_label);

  Dataset dataset;
  dataset.name = files.name;
  dataset.class_names = scheme.names;
  const bool upright = data::is_emnist(files.name);
  if (train) {
    dataset.train = to_image_set(std::move(*train), scheme, upright);
    dataset.has_train = true;
  }
  if (test) {
    dataset.test = to_image_set(std::move(*test), scheme, upright);
    dataset.has_test = true;
  }
  if (config.split == SplitKind::holdout && dataset.has_test) {
    if (!dataset.has_train) {
      dataset.train = std::move(dataset.test);
    } else {
      append(dataset.train, std::move(dataset.test));
    }
    dataset.test = ImageSet{};
    dataset.has_train = true;
    dataset.has_test = false;
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info(
      "{}: {} train and {} test images of {}x{}, {} classes, {} form, loaded in {:.2f} s{}",
      files.name, dataset.train.count, dataset.test.count,
      dataset.has_train ? dataset.train.rows : dataset.test.rows,
      dataset.has_train ? dataset.train.cols : dataset.test.cols, dataset.num_classes(),
      choice_name(files.format), seconds,
      which == DataFiles::train_only ? "; the test files were not opened" : "");
  return dataset;
}

}  // namespace emnist
