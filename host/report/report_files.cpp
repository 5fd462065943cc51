#include "emnist/report_files.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace emnist {
namespace {

std::string number(double v, const char* spec) {
  return std::isfinite(v) ? fmt::format(fmt::runtime(spec), v) : std::string();
}

const std::string& name_of(const std::vector<std::string>& names, int32_t c) {
  if (c < 0 || static_cast<size_t>(c) >= names.size())
    throw std::invalid_argument("report: class " + std::to_string(c) + " has no name");
  return names[static_cast<size_t>(c)];
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string metrics_csv(const std::vector<EpochRecord>& epochs) {
  std::string out =
      "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,samples_per_second,"
      "val_balanced_accuracy,val_macro_f1\n";
  for (const EpochRecord& e : epochs) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", e.epoch, number(e.lr, "{:.8g}"),
                       number(e.train_loss, "{:.6f}"), number(e.train_accuracy, "{:.6f}"),
                       number(e.val_loss, "{:.6f}"), number(e.val_accuracy, "{:.6f}"),
                       number(e.seconds, "{:.3f}"), number(e.samples_per_second, "{:.1f}"),
                       number(e.val_balanced_accuracy, "{:.6f}"), number(e.val_macro_f1, "{:.6f}"));
  }
  return out;
}

std::string confusion_csv(const std::vector<int64_t>& confusion,
                          const std::vector<std::string>& class_names) {
  const size_t c = class_names.size();
  if (confusion.size() != c * c)
    throw std::invalid_argument("confusion_csv: matrix does not match the class names");
  std::string out = "true\\predicted";
  for (const std::string& name : class_names) out += "," + csv_field(name);
  out += "\n";
  for (size_t t = 0; t < c; ++t) {
    out += csv_field(class_names[t]);
    for (size_t p = 0; p < c; ++p) out += fmt::format(",{}", confusion[t * c + p]);
    out += "\n";
  }
  return out;
}

std::string report_csv(const ClassificationReport& report,
                       const std::vector<std::string>& class_names) {
  if (report.classes.size() != class_names.size())
    throw std::invalid_argument("report_csv: scores do not match the class names");
  auto row = [](const std::string& label, const ClassScores& s) {
    return fmt::format("{},{:.6f},{:.6f},{:.6f},{}\n", csv_field(label), s.precision, s.recall,
                       s.f1, s.support);
  };
  std::string out = "class,precision,recall,f1,support\n";
  for (size_t i = 0; i < class_names.size(); ++i) out += row(class_names[i], report.classes[i]);
  out += fmt::format("accuracy,,,{:.6f},{}\n", report.accuracy, report.total);
  out += row("macro avg", report.macro_avg);
  out += row("weighted avg", report.weighted_avg);
  return out;
}

std::string predictions_csv(const std::vector<Prediction>& predictions,
                            const std::vector<std::string>& class_names) {
  std::string out = "index,true,predicted,top1,p1,top2,p2,top3,p3\n";
  for (const Prediction& p : predictions) {
    out += fmt::format("{},{},{}", p.index, csv_field(name_of(class_names, p.truth)),
                       csv_field(name_of(class_names, p.predicted())));
    for (int r = 0; r < 3; ++r) {
      if (r < p.k) {
        out += fmt::format(",{},{:.6f}",
                           csv_field(name_of(class_names, p.top[static_cast<size_t>(r)])),
                           p.prob[static_cast<size_t>(r)]);
      } else {
        out += ",,";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace emnist
