#pragma once
// The images a sweep may look at: the training data only. With the official split the test files
// are never read at all (only the train files are opened); with a holdout split the whole pool is
// loaded, the test part is carved away first by the same make_splits that training uses, and
// cross-validation gets the rest (training and validation parts together).
#include <cstdint>
#include <string>
#include <vector>

#include "emnist/config.hpp"
#include "emnist/data.hpp"

namespace emnist::sweep {

struct CvPool {
  Dataset dataset;
  std::vector<int64_t> indices;  // into dataset.train, ascending
  int64_t test_held_out = 0;     // holdout: images carved away and never used
  std::string note;              // one line for the log and trials.md
};

CvPool load_cv_pool(const DataConfig& config);

}  // namespace emnist::sweep
