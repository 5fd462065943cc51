#pragma once
// The few images the run directory's plots show (samples.png, predictions.png). A run directory
// holds no dataset and the plots read nothing else, so training copies these images there, in the
// dataset's own IDX form (upright, as training saw them):
//   samples_train.idx  (+ samples_train.csv: index, label)  the first training images
//   predictions_<split>.idx  the images of the first rows of predictions_<split>.csv, in its order
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/data.hpp"

namespace emnist {

constexpr int64_t kSampleImages = 32;
constexpr int64_t kPredictionImages = 6;

// IDX3 uint8 [n, rows, cols] of set's images at `indices`, in that order.
std::string idx3_bytes(const ImageSet& set, const std::vector<int64_t>& indices);

// predictions_<split>.idx from the subset that was evaluated: evaluate() predicts in subset order,
// so the first rows of predictions_<split>.csv are the subset's first images. Nothing for an empty
// subset.
void write_prediction_images(const std::filesystem::path& run_dir, const std::string& split,
                             const Subset& subset);

// samples_train.idx and samples_train.csv from the training split, and predictions_val.idx and
// predictions_test.idx.
void write_run_images(const std::filesystem::path& run_dir, const Splits& splits,
                      const std::vector<std::string>& class_names);

}  // namespace emnist
