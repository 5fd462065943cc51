// Reading one set: images and labels come from two IDX files (or one CSV) that must agree.
#include "data/raw_split.hpp"

#include "data/data_error.hpp"

namespace emnist::data {

RawSplit read_split(const DatasetFiles& files, bool train, bool with_images) {
  RawSplit split;
  split.images_path = train ? files.train_images : files.test_images;
  split.labels_path = train ? files.train_labels : files.test_labels;
  if (files.format == DataFormat::csv) {
    CsvImages csv = read_kaggle_csv(split.images_path);
    split.labels = std::move(csv.labels);
    if (with_images) split.images = std::move(csv.images);
    split.labels_path = split.images_path;
    return split;
  }
  const std::vector<uint8_t> labels = read_idx_labels(split.labels_path);
  split.labels.assign(labels.begin(), labels.end());
  if (!with_images) return split;
  split.images = read_idx_images(split.images_path);
  if (split.images.count != static_cast<int64_t>(split.labels.size())) {
    fail(split.images_path, "holds " + std::to_string(split.images.count) +
                                " images but its labels file " + split.labels_path.string() +
                                " holds " + std::to_string(split.labels.size()) +
                                " labels; both must come from the same download: re-download them "
                                "(tools/fetch-emnist.sh)");
  }
  return split;
}

}  // namespace emnist::data
