#pragma once
// Datasets: readers for IDX (raw or gzip), the Kaggle EMNIST CSV form and mapping files; datasets
// by name; seeded stratified splits. Every reader validates the whole file and throws UserError
// with one line naming the file and the problem.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/choices.hpp"

namespace emnist {

// Images as uint8 [count, rows, cols], upright; labels as class indices 0..classes-1.
struct ImageSet {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;

  int64_t image_size() const { return int64_t{rows} * cols; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_size(); }
};

// One mapping line: the label as stored in the files, and its character code(s).
struct MappingEntry {
  int label = 0;
  std::vector<int> codes;  // Letters gives upper and lower case
};

// ---- readers (host/data) ----------------------------------------------------------------------
// Whole file, gunzipped when it starts with the gzip magic; a truncated or corrupt gzip is an
// error. Concatenated gzip members are read one after another, as gunzip does.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);
// IDX3 uint8 images [n, rows, cols], as stored (no transpose). An empty file (n = 0) is an error.
struct RawImages {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
};
RawImages read_idx_images(const std::filesystem::path& path);
// IDX1 uint8 labels. An empty file is an error.
std::vector<uint8_t> read_idx_labels(const std::filesystem::path& path);
// Kaggle form: each row "label,p0,...,p783" (no header, or a header row that is skipped); always
// 28x28. Errors name the 1-based line of the file.
struct CsvImages {
  RawImages images;
  std::vector<int> labels;
};
CsvImages read_kaggle_csv(const std::filesystem::path& path);
// Lines "label code [code2]"; blank lines are ignored; labels must be distinct.
std::vector<MappingEntry> read_mapping(const std::filesystem::path& path);
// One name per mapping entry: its codes as UTF-8 characters ("A", "Aa" for Letters' two codes).
std::vector<std::string> class_names_from_mapping(const std::vector<MappingEntry>& mapping);

// Transposes each image in place (EMNIST stores them column-major).
void transpose_images(RawImages& images);

// ---- datasets by name ---------------------------------------------------------------------------
// Names: emnist-balanced, emnist-byclass, emnist-bymerge, emnist-letters, emnist-digits,
// emnist-mnist, mnist, fashion-mnist, idx.
const std::vector<std::string>& dataset_names();
// "EMNIST Balanced", "MNIST", "Fashion-MNIST", "IDX", for messages.
std::string dataset_title(const std::string& name);

struct DatasetFiles {
  std::string name;           // dataset name
  std::filesystem::path dir;  // the folder searched (empty for dataset "idx")
  // Empty if absent. In the CSV form a split is one file: *_images names it, *_labels stay empty.
  std::filesystem::path train_images, train_labels, test_images, test_labels;
  std::filesystem::path mapping;        // empty if none (mnist, fashion-mnist)
  DataFormat format = DataFormat::idx;  // idx or csv, never automatic

  bool has_images() const { return !train_images.empty() || !test_images.empty(); }
  // Label files with no images beside them (the shared folder's Balanced labels): `emnist info`
  // can count them, but nothing can train on them.
  bool labels_only() const {
    return !has_images() && (!train_labels.empty() || !test_labels.empty());
  }
};

struct Dataset {
  std::string name;
  std::vector<std::string> class_names;  // UTF-8, one per class: "A", "a", "T-shirt/top", ...
  bool has_train = false, has_test = false;
  ImageSet train, test;  // upright; labels mapped to 0..classes-1
  int num_classes() const { return static_cast<int>(class_names.size()); }
};

struct DataConfig;  // config.hpp

// Finds the official files of `name` in `dir` (IDX .gz or raw, or Kaggle CSV by the official
// names). format automatic: IDX when IDX images are there, else CSV when CSV files are, else IDX.
// Files that are absent stay empty; only an unknown name throws.
DatasetFiles locate_dataset(const std::string& name, const std::filesystem::path& dir,
                            DataFormat format);
// locate_dataset in config.resolved_dir(), or for dataset "idx" the files config names.
DatasetFiles dataset_files(const DataConfig& config);
// Which files load_dataset opens: every one present, or the train files alone (a sweep's
// cross-validation under the official split must not even open the test files).
enum class DataFiles { all, train_only };
// Reads, validates and maps the files present (the classes from the labels read). A dataset with no
// images at all is an error. With config.split == "holdout" every set read is pooled into `train`
// (train images first).
Dataset load_dataset(const DataConfig& config, DataFiles which = DataFiles::all);
// Every dataset found in `dir`, for `emnist info`, label-only sets included. The MNIST file names
// are reported as fashion-mnist when the folder's name says "fashion", else as mnist.
std::vector<DatasetFiles> scan_data_dir(const std::filesystem::path& dir);

// What one file set holds, for `emnist info`: reads and validates the files fully.
struct SplitSummary {
  std::string split;               // "train" or "test"
  int64_t count = 0;               // images (labels, for a label-only split)
  std::vector<int64_t> per_class;  // one per class
  bool labels_only = false;
};
std::vector<SplitSummary> summarize_dataset(const DatasetFiles& files);

// ---- splits -------------------------------------------------------------------------------------
// A split refers to images by index into one of the dataset's sets, never copies them.
struct Subset {
  const ImageSet* source = nullptr;
  std::vector<int64_t> indices;  // ascending
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

struct Splits {
  Subset train, val, test;
};

// official: train (minus a stratified validation part) from the train file, test from the test
// file. holdout: load_dataset has pooled every file present into `train` (train images first, then
// test); test and validation are carved out of that pool, stratified by class, seeded by data.seed.
// `limit` > 0 first takes a stratified subset of that size of the train pool (and of the official
// test set, scaled to keep the test:train ratio), so that quick runs stay representative.
// Stratified means each class's share of a part is its share of the whole, rounded (within 1);
// the part sizes are the fractions of the total, rounded. Same seed, same splits, on every machine.
Splits make_splits(const Dataset& dataset, const DataConfig& config);

// Stratified: each class's indices shuffled with the seed and dealt round-robin, so every part has
// the class proportions. Returns k parts of `indices`, each ascending; part sizes differ by at
// most 1.
std::vector<std::vector<int64_t>> stratified_kfold(const ImageSet& set,
                                                   const std::vector<int64_t>& indices, int k,
                                                   uint64_t seed);

// Per-class counts of a subset.
std::vector<int64_t> class_counts(const Subset& subset, int num_classes);

}  // namespace emnist
