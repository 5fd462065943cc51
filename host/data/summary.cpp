// summarize_dataset: per-set and per-class counts for `emnist info`, from files read and validated
// as fully as loading them would, so `info` also vouches for the files.
#include <algorithm>

#include "data/classes.hpp"
#include "data/raw_split.hpp"
#include "emnist/data.hpp"

namespace emnist {

std::vector<SplitSummary> summarize_dataset(const DatasetFiles& files) {
  struct Part {
    const char* name;
    data::RawSplit raw;
    bool labels_only;
  };
  std::vector<Part> parts;
  for (const bool train : {true, false}) {
    const auto& images = train ? files.train_images : files.test_images;
    const auto& labels = train ? files.train_labels : files.test_labels;
    if (images.empty() && labels.empty()) continue;
    // Images without labels cannot be counted per class; load_dataset reports that case.
    if (files.format != DataFormat::csv && labels.empty()) continue;
    const bool labels_only = images.empty();
    parts.push_back(
        {train ? "train" : "test", data::read_split(files, train, !labels_only), labels_only});
  }
  int max_label = 0;
  for (const auto& part : parts) {
    if (!part.raw.labels.empty()) {
      max_label =
          std::max(max_label, *std::max_element(part.raw.labels.begin(), part.raw.labels.end()));
    }
  }
  const data::ClassScheme scheme = data::class_scheme(files, max_label);
  std::vector<SplitSummary> summaries;
  for (const auto& part : parts) {
    SplitSummary summary;
    summary.split = part.name;
    summary.labels_only = part.labels_only;
    summary.count = static_cast<int64_t>(part.raw.labels.size());
    summary.per_class.assign(scheme.names.size(), 0);
    for (int32_t c : data::map_labels(scheme, part.raw.labels, part.raw.labels_path)) {
      ++summary.per_class[static_cast<size_t>(c)];
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

}  // namespace emnist
