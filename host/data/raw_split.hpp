#pragma once
// One set (train or test) of a dataset's files, read and checked against each other but not yet
// mapped to classes or turned upright.
#include <filesystem>
#include <vector>

#include "emnist/data.hpp"

namespace emnist::data {

struct RawSplit {
  RawImages images;  // empty when read without images
  std::vector<int> labels;
  std::filesystem::path images_path, labels_path;  // the same file for CSV
};

// Reads the train (or test) set of `files`. `with_images` false reads only what counting labels
// needs (a CSV is still read whole: its labels are interleaved with the pixels). The caller checks
// that the files it asks for are present.
RawSplit read_split(const DatasetFiles& files, bool train, bool with_images);

}  // namespace emnist::data
