#include <stdexcept>

#include "emnist/metrics.hpp"

namespace emnist {
namespace {

double ratio(int64_t num, int64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

ClassificationReport classification_report(const std::vector<int64_t>& confusion, int classes) {
  if (classes < 1 ||
      confusion.size() != static_cast<size_t>(classes) * static_cast<size_t>(classes))
    throw std::invalid_argument("classification_report: confusion matrix is not classes x classes");
  auto at = [&](int t, int p) { return confusion[static_cast<size_t>(t * classes + p)]; };
  ClassificationReport r;
  r.classes.resize(static_cast<size_t>(classes));
  int64_t correct = 0;
  for (int c = 0; c < classes; ++c) {
    int64_t row = 0, col = 0;
    for (int k = 0; k < classes; ++k) {
      row += at(c, k);
      col += at(k, c);
    }
    const int64_t tp = at(c, c);
    ClassScores& s = r.classes[static_cast<size_t>(c)];
    s.precision = ratio(tp, col);
    s.recall = ratio(tp, row);
    // scikit-learn's F1 with zero_division = 0: 2 tp / (2 tp + fp + fn), 0 when that is 0/0. It
    // equals 2 p r / (p + r) wherever both are defined, without that formula's rounding.
    s.f1 = ratio(2 * tp, row + col);
    s.support = row;
    correct += tp;
    r.total += row;
  }
  r.accuracy = ratio(correct, r.total);
  for (const ClassScores& s : r.classes) {
    r.macro_avg.precision += s.precision;
    r.macro_avg.recall += s.recall;
    r.macro_avg.f1 += s.f1;
    const double w = static_cast<double>(s.support);
    r.weighted_avg.precision += w * s.precision;
    r.weighted_avg.recall += w * s.recall;
    r.weighted_avg.f1 += w * s.f1;
  }
  r.macro_avg.precision /= classes;
  r.macro_avg.recall /= classes;
  r.macro_avg.f1 /= classes;
  r.macro_avg.support = r.total;
  if (r.total > 0) {
    const double t = static_cast<double>(r.total);
    r.weighted_avg.precision /= t;
    r.weighted_avg.recall /= t;
    r.weighted_avg.f1 /= t;
  }
  r.weighted_avg.support = r.total;
  return r;
}

}  // namespace emnist
