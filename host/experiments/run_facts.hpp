#pragma once
// What a comparison reads from one finished run directory.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/metrics.hpp"

namespace emnist::sweep {

struct ConfusedPair {
  std::string a, b;                // class names
  int64_t a_as_b = 0, b_as_a = 0;  // test images of a predicted as b, and of b as a
  int64_t total() const { return a_as_b + b_as_a; }
};

struct RunFacts {
  std::filesystem::path dir;
  std::string label;  // the run directory's name, made unique among the compared runs
  std::string model, dataset, device;
  int64_t parameters = 0, test_samples = 0;
  int epochs = 0;
  double training_seconds = 0, samples_per_second = 0, test_accuracy = 0;
  ClassScores macro, weighted;
  std::vector<std::string> classes;
  std::vector<ClassScores> per_class;
  std::vector<ConfusedPair> confused;  // most confused pairs first
};

// UserError naming the file that is missing or malformed.
RunFacts read_run_facts(const std::filesystem::path& dir, int confused_pairs = 5);

}  // namespace emnist::sweep
