// Class schemes: the mapping file when there is one (its line order is the class order), else the
// dataset's fixed class list.
#include "data/classes.hpp"

#include <algorithm>

#include "data/catalog.hpp"
#include "data/data_error.hpp"

namespace emnist::data {
namespace {

ClassScheme fixed_scheme(std::vector<std::string> names, std::string source) {
  ClassScheme scheme;
  scheme.class_of.resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) scheme.class_of[i] = static_cast<int32_t>(i);
  scheme.names = std::move(names);
  scheme.source = std::move(source);
  return scheme;
}

}  // namespace

ClassScheme class_scheme(const DatasetFiles& files, int max_label) {
  if (!files.mapping.empty()) {
    const auto mapping = read_mapping(files.mapping);
    ClassScheme scheme;
    scheme.names = class_names_from_mapping(mapping);
    int largest = 0;
    for (const auto& entry : mapping) largest = std::max(largest, entry.label);
    scheme.class_of.assign(static_cast<size_t>(largest) + 1, -1);
    for (size_t i = 0; i < mapping.size(); ++i) {
      scheme.class_of[static_cast<size_t>(mapping[i].label)] = static_cast<int32_t>(i);
    }
    scheme.source = "the mapping " + files.mapping.string() + " (" +
                    std::to_string(mapping.size()) + " classes)";
    return scheme;
  }
  if (is_emnist(files.name)) {
    const auto expected = files.dir / mapping_file_name(files.name);
    fail(expected,
         "no such file; the mapping comes with the official files (in NIST's gzip.zip and beside "
         "the Kaggle CSVs): put it beside them");
  }
  if (files.name == "mnist") {
    std::vector<std::string> digits;
    for (int d = 0; d < 10; ++d) digits.push_back(std::to_string(d));
    return fixed_scheme(std::move(digits), "MNIST's 10 digit classes (labels 0..9)");
  }
  if (files.name == "fashion-mnist") {
    return fixed_scheme({"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"},
                        "Fashion-MNIST's 10 classes (labels 0..9)");
  }
  std::vector<std::string> names;
  for (int label = 0; label <= max_label; ++label) names.push_back(std::to_string(label));
  return fixed_scheme(std::move(names), "labels 0.." + std::to_string(max_label));
}

std::vector<int32_t> map_labels(const ClassScheme& scheme, const std::vector<int>& labels,
                                const std::filesystem::path& path) {
  std::vector<int32_t> classes(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    classes[i] = scheme.class_index(labels[i]);
    if (classes[i] < 0) {
      fail(path, "label " + std::to_string(labels[i]) + " of item " + std::to_string(i + 1) +
                     " is not a class of " + scheme.source +
                     "; the labels and the mapping must belong to the same dataset");
    }
  }
  return classes;
}

}  // namespace emnist::data
