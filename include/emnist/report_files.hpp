#pragma once
// The text of the run directory's CSV files (DESIGN.md "Run directory"). Class names label rows and
// columns; fields are quoted as RFC 4180 asks when a name holds a comma, quote or line break.
#include <string>
#include <vector>

#include "emnist/metrics.hpp"

namespace emnist {

std::string csv_field(const std::string& text);

// epoch, lr, train_loss, train_accuracy, val_loss, val_accuracy, seconds, samples_per_second.
std::string metrics_csv(const std::vector<EpochRecord>& epochs);
// Header row and first column are class names; rows are true classes, columns predicted.
std::string confusion_csv(const std::vector<int64_t>& confusion,
                          const std::vector<std::string>& class_names);
// class, precision, recall, f1, support per class, then accuracy (in the f1 column, as
// scikit-learn prints it), macro avg and weighted avg.
std::string report_csv(const ClassificationReport& report,
                       const std::vector<std::string>& class_names);
// index, true, predicted, top1, p1, top2, p2, top3, p3.
std::string predictions_csv(const std::vector<Prediction>& predictions,
                            const std::vector<std::string>& class_names);

}  // namespace emnist
