#pragma once
// Putting a trained run to use: its model loaded once onto a backend, answering batches of images
// in EMNIST's form (Predictor), and `emnist predict` over image files (run_predict).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/config.hpp"
#include "emnist/image_input.hpp"

namespace emnist {

class Predictor {
 public:
  // Reads run_dir's config.toml, its class names and model.safetensors (UserError naming the file
  // on any problem) and builds the model on `backend` for batches of up to max_batch images.
  Predictor(const std::filesystem::path& run_dir, Backend& backend, int64_t max_batch = 256);
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  const std::vector<std::string>& class_names() const { return class_names_; }
  int classes() const { return static_cast<int>(class_names_.size()); }
  const std::string& model_kind() const { return model_kind_; }
  const Config& config() const;  // the run's config.toml
  int64_t parameters() const;
  // The model's softmax for each image, [images.size(), classes()] row-major, in batches of up to
  // max_batch; the pixels are normalised as training normalised them.
  std::vector<float> probabilities(std::span<const EmnistImage> images);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::string> class_names_;
  std::string model_kind_;
};

// The classes of a run, in order: summary.json's class_names, or (runs written before it had them)
// the header of confusion_test.csv or confusion_val.csv.
std::vector<std::string> run_class_names(const std::filesystem::path& run_dir);

// One class and its probability.
struct Ranked {
  int index = 0;
  float probability = 0;
};
// The k most probable classes, the most probable first (ties: the lower index first).
std::vector<Ranked> top_classes(std::span<const float> probabilities, int k);

enum class PredictFormat { table, csv, json };

struct PredictOptions {
  std::filesystem::path run;
  std::vector<std::filesystem::path> inputs;  // files, or folders (their image files, sorted)
  int top = 5;
  PredictFormat format = PredictFormat::table;
  ImageLimits limits;
};

// Classifies every image of every input on `backend` and writes the answers to `out`; a file that
// cannot be read is reported by name on `errors` and the rest are still answered. Returns the exit
// code: 0, or 2 when any input was bad.
int run_predict(const PredictOptions& options, Backend& backend, std::ostream& out,
                std::ostream& errors);

}  // namespace emnist
