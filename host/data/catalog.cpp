// Datasets by name: which files make each one, and finding them in a folder. The names are NIST's
// (inside gzip.zip), Kaggle's for the CSV form, and LeCun's for MNIST (which Fashion-MNIST reuses).
#include <algorithm>

#include "data/catalog.hpp"
#include "data/data_error.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace data {

bool is_emnist(const std::string& name) { return name.rfind("emnist-", 0) == 0; }

std::string emnist_split(const std::string& name) { return name.substr(7); }

OfficialNames official_names(const std::string& name, bool train) {
  if (is_emnist(name)) {
    const std::string stem = name + (train ? "-train" : "-test");
    return {stem + "-images-idx3-ubyte", stem + "-labels-idx1-ubyte", stem + ".csv"};
  }
  const std::string stem = train ? "train" : "t10k";
  return {stem + "-images-idx3-ubyte", stem + "-labels-idx1-ubyte", ""};
}

std::string mapping_file_name(const std::string& name) {
  return is_emnist(name) ? name + "-mapping.txt" : "";
}

std::string files_hint(const std::string& name) {
  if (is_emnist(name)) {
    return "put " + name +
           "-{train,test}-{images-idx3,labels-idx1}-ubyte.gz (official NIST gzip IDX) or " + name +
           "-{train,test}.csv (Kaggle) there, with " + mapping_file_name(name) +
           ", or point --data at the folder that holds them; tools/fetch-emnist.sh downloads them "
           "where a network allows";
  }
  std::string hint =
      "put {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz there, or point --data at the folder "
      "that holds them";
  if (name == "fashion-mnist") {
    hint +=
        " (Debian's dataset-fashion-mnist package installs them in "
        "/usr/share/datasets/fashion-mnist)";
  }
  return hint;
}

}  // namespace data

namespace {

void check_name(const std::string& name) {
  const auto& names = dataset_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw UserError("unknown dataset '" + name + "': choose one of " + all);
}

// The uncompressed file wins when both are there: it loads without inflating.
// A name that is there but is no readable file (a folder, a link to nothing, a link loop) is an
// error naming it, not an absent file: the user put something there.
std::filesystem::path find_file(const std::filesystem::path& dir, const std::string& base) {
  for (const std::string& candidate : {base, base + ".gz"}) {
    const std::filesystem::path path = dir / candidate;
    std::error_code ec;
    const auto link = std::filesystem::symlink_status(path, ec);
    if (ec || !std::filesystem::exists(link)) continue;
    const auto target = std::filesystem::status(path, ec);
    if (ec && ec == std::errc::too_many_symbolic_link_levels)
      data::fail(path, "is a link loop, not a data file");
    if (ec || target.type() == std::filesystem::file_type::not_found)
      data::fail(path, "is a link to nothing (" + std::filesystem::read_symlink(path, ec).string() +
                           "); point it at the file or remove it");
    if (std::filesystem::is_directory(target)) data::fail(path, "is a folder, not a data file");
    return path;
  }
  return {};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names{"emnist-balanced", "emnist-byclass", "emnist-bymerge",
                                              "emnist-letters",  "emnist-digits",  "emnist-mnist",
                                              "mnist",           "fashion-mnist",  "idx"};
  return names;
}

std::string dataset_title(const std::string& name) {
  if (data::is_emnist(name)) {
    std::string split = data::emnist_split(name);
    if (split == "mnist") return "EMNIST MNIST";
    if (!split.empty()) split[0] = static_cast<char>(split[0] - 'a' + 'A');
    if (split == "Byclass") split = "ByClass";
    if (split == "Bymerge") split = "ByMerge";
    return "EMNIST " + split;
  }
  if (name == "mnist") return "MNIST";
  if (name == "fashion-mnist") return "Fashion-MNIST";
  if (name == "idx") return "IDX";
  return name;
}

DatasetFiles locate_dataset(const std::string& name, const std::filesystem::path& dir,
                            DataFormat format) {
  check_name(name);
  std::error_code ec;
  std::filesystem::directory_iterator listing(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    data::fail(dir, "cannot read the folder: " + ec.message());
  if (name == "idx") {
    throw UserError(
        "dataset idx has no official file names: give its files with data.train_images, "
        "data.train_labels, data.test_images, data.test_labels (data.mapping optional)");
  }
  DatasetFiles files;
  files.name = name;
  files.dir = dir;
  const auto train = data::official_names(name, true), test = data::official_names(name, false);
  if (format == DataFormat::csv && train.csv.empty()) {
    throw UserError("dataset " + name + " has no CSV form: set data.format to idx or auto");
  }
  const auto train_idx = find_file(dir, train.images), test_idx = find_file(dir, test.images);
  const auto train_csv = train.csv.empty() ? std::filesystem::path{} : find_file(dir, train.csv);
  const auto test_csv = test.csv.empty() ? std::filesystem::path{} : find_file(dir, test.csv);
  bool csv = format == DataFormat::csv;
  if (format == DataFormat::automatic) {
    csv = train_idx.empty() && test_idx.empty() && (!train_csv.empty() || !test_csv.empty());
  }
  if (csv) {
    files.format = DataFormat::csv;
    files.train_images = train_csv;
    files.test_images = test_csv;
  } else {
    files.format = DataFormat::idx;
    files.train_images = train_idx;
    files.test_images = test_idx;
    files.train_labels = find_file(dir, train.labels);
    files.test_labels = find_file(dir, test.labels);
  }
  const std::string mapping = data::mapping_file_name(name);
  if (!mapping.empty()) files.mapping = find_file(dir, mapping);
  return files;
}

DatasetFiles dataset_files(const DataConfig& config) {
  if (config.dataset != "idx")
    return locate_dataset(config.dataset, config.resolved_dir(), config.format);
  DatasetFiles files;
  files.name = "idx";
  const bool csv_paths =
      ends_with(config.train_images, ".csv") || ends_with(config.train_images, ".csv.gz") ||
      ends_with(config.test_images, ".csv") || ends_with(config.test_images, ".csv.gz");
  files.format =
      config.format == DataFormat::csv || (config.format == DataFormat::automatic && csv_paths)
          ? DataFormat::csv
          : DataFormat::idx;
  files.train_images = config.train_images;
  files.test_images = config.test_images;
  if (files.format == DataFormat::idx) {
    files.train_labels = config.train_labels;
    files.test_labels = config.test_labels;
  }
  files.mapping = config.mapping;
  return files;
}

std::vector<DatasetFiles> scan_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) data::fail(dir, "no such folder");
  std::vector<DatasetFiles> found;
  for (const auto& name : dataset_names()) {
    if (name == "idx" || name == "fashion-mnist") continue;
    DatasetFiles files = locate_dataset(name, dir, DataFormat::automatic);
    if (name == "mnist") {
      // Fashion-MNIST reuses MNIST's file names; only the folder can tell them apart.
      auto folder = std::filesystem::absolute(dir).lexically_normal();
      if (folder.filename().empty()) folder = folder.parent_path();  // "dir/" names no file
      if (folder.filename().string().find("fashion") != std::string::npos) {
        files.name = "fashion-mnist";
      }
    }
    if (files.has_images() || files.labels_only()) found.push_back(std::move(files));
  }
  return found;
}

}  // namespace emnist
