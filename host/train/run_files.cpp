#include "train/run_files.hpp"

#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"

namespace emnist {

SplitMetrics split_metrics(const Totals& totals, const ClassificationReport& report) {
  SplitMetrics m;
  m.samples = totals.samples;
  if (totals.samples == 0) return m;
  m.loss = totals.loss();
  m.accuracy = totals.accuracy();
  m.macro_f1 = report.macro_avg.f1;
  m.balanced_accuracy = report.macro_avg.recall;
  return m;
}

ClassificationReport write_split_files(const std::filesystem::path& run_dir,
                                       const std::string& split, const EvalResult& result,
                                       const std::vector<std::string>& class_names) {
  const Totals& t = result.totals;
  ClassificationReport report = classification_report(t.confusion, t.classes);
  const RunFiles files(run_dir);
  write_file_atomic(files.confusion(split), confusion_csv(t.confusion, class_names));
  write_file_atomic(files.report(split), report_csv(report, class_names));
  write_file_atomic(files.predictions(split), predictions_csv(result.predictions, class_names));
  return report;
}

}  // namespace emnist
