#pragma once
// How a dataset's stored labels become class indices 0..C-1, and what the classes are called.
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/data.hpp"

namespace emnist::data {

struct ClassScheme {
  std::vector<std::string> names;
  std::vector<int32_t> class_of;  // indexed by stored label; -1: not a class
  std::string source;             // where the classes come from, for messages

  int32_t class_index(int label) const {
    return label >= 0 && label < static_cast<int>(class_of.size()) ? class_of[label] : -1;
  }
};

// From the mapping file (EMNIST, or idx with data.mapping), the fixed class lists of MNIST and
// Fashion-MNIST, or, for idx without a mapping, the labels 0..max_label themselves.
ClassScheme class_scheme(const DatasetFiles& files, int max_label);

// Stored labels to class indices; a label the scheme does not know is an error naming `path`.
std::vector<int32_t> map_labels(const ClassScheme& scheme, const std::vector<int>& labels,
                                const std::filesystem::path& path);

}  // namespace emnist::data
