#pragma once
// Classifier metrics on the host, from what the device accumulated: per-class precision, recall and
// F1 from a confusion matrix, computed as scikit-learn's classification_report does with
// labels = every class and zero_division = 0 (so a class never seen and never predicted scores 0
// and still counts in the macro average), plus the records the run directory keeps.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace emnist {

// What a pass over a split accumulated (StepRunner's totals, read back once per epoch).
struct Totals {
  int classes = 0;
  int64_t samples = 0;
  double loss_sum = 0.0;           // sum over samples of the cross-entropy
  std::vector<int64_t> confusion;  // [true * classes + predicted]
  double loss() const { return samples > 0 ? loss_sum / static_cast<double>(samples) : 0.0; }
  double accuracy() const {
    if (samples == 0) return 0.0;
    int64_t correct = 0;
    for (int c = 0; c < classes; ++c) correct += confusion[static_cast<size_t>(c * classes + c)];
    return static_cast<double>(correct) / static_cast<double>(samples);
  }
};

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

struct ClassificationReport {
  std::vector<ClassScores> classes;
  double accuracy = 0;
  int64_t total = 0;
  ClassScores macro_avg, weighted_avg;  // support: the total
};

// confusion[true * classes + predicted].
ClassificationReport classification_report(const std::vector<int64_t>& confusion, int classes);

// One evaluated sample: its index in the dataset's image set, true class and the three most likely
// classes (by logit, ties to the lower class) with their softmax probabilities.
struct Prediction {
  int64_t index = 0;
  int32_t truth = 0;
  std::array<int32_t, 3> top{};
  std::array<float, 3> prob{};
  int k = 0;  // how many of top are set (fewer than 3 classes)
  int32_t predicted() const { return top[0]; }
};

// Top-k of one row of logits (the first maximal logit is the prediction, as the device's confusion
// matrix counts it).
Prediction rank_prediction(int64_t index, int32_t truth, const float* logits, const float* probs,
                           int classes);

// One row of metrics.csv. Validation fields are NaN when there is no validation split.
struct EpochRecord {
  int epoch = 0;  // from 1
  double lr = 0;  // the rate of the epoch's last step
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;
  double seconds = 0;             // training and validation
  double samples_per_second = 0;  // training samples over training time
  // The validation pass's balanced accuracy and macro F1 (NaN without a validation split, and in
  // the records of checkpoints from before they were kept).
  double val_balanced_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_macro_f1 = std::numeric_limits<double>::quiet_NaN();
};

// What the step runner did with train.cuda_graph on: graphs captured, steps replayed from one, and
// captures that failed (those steps stay eager). A backend without graphs counts nothing.
struct GraphCounts {
  int64_t captures = 0;
  int64_t replays = 0;
  int64_t failed_captures = 0;
};

}  // namespace emnist
