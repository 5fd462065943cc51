#include "experiments/trial_store.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emnist/run_dir.hpp"

namespace emnist {
namespace {

double mean_of(const std::vector<FoldResult>& folds, double FoldResult::*field) {
  if (folds.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (const auto& f : folds) sum += f.*field;
  return sum / static_cast<double>(folds.size());
}

double std_of(const std::vector<FoldResult>& folds, double FoldResult::*field) {
  if (folds.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const double m = mean_of(folds, field);
  double sum = 0;
  for (const auto& f : folds) sum += (f.*field - m) * (f.*field - m);
  return std::sqrt(sum / static_cast<double>(folds.size() - 1));
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

double number_from(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

double TrialResult::mean_accuracy() const { return mean_of(folds, &FoldResult::val_accuracy); }
double TrialResult::std_accuracy() const { return std_of(folds, &FoldResult::val_accuracy); }
double TrialResult::mean_loss() const { return mean_of(folds, &FoldResult::val_loss); }
double TrialResult::mean_balanced_accuracy() const {
  return mean_of(folds, &FoldResult::val_balanced_accuracy);
}
double TrialResult::mean_macro_f1() const { return mean_of(folds, &FoldResult::val_macro_f1); }
double TrialResult::std_loss() const { return std_of(folds, &FoldResult::val_loss); }

namespace sweep {

std::optional<TrialResult> read_result(const std::filesystem::path& sweep_dir,
                                       const std::string& key) {
  const auto path = SweepFiles(sweep_dir).trial_result(key);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(in);
    TrialResult r;
    r.key = j.at("key").get<std::string>();
    if (r.key != key) return std::nullopt;
    r.status = j.at("status").get<std::string>();
    r.note = j.value("note", "");
    r.folds_planned = j.at("folds_planned").get<int>();
    r.epochs = j.at("epochs").get<int>();
    r.seconds = j.at("seconds").get<double>();
    for (const auto& f : j.at("folds")) {
      FoldResult fr;
      fr.fold = f.at("fold").get<int>();
      fr.val_accuracy = number_from(f.at("val_accuracy"));
      fr.val_loss = number_from(f.at("val_loss"));
      fr.train_accuracy = number_from(f.at("train_accuracy"));
      fr.train_loss = number_from(f.at("train_loss"));
      fr.seconds = f.at("seconds").get<double>();
      if (f.contains("val_balanced_accuracy"))
        fr.val_balanced_accuracy = number_from(f.at("val_balanced_accuracy"));
      if (f.contains("val_macro_f1")) fr.val_macro_f1 = number_from(f.at("val_macro_f1"));
      r.folds.push_back(fr);
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    spdlog::warn("{}: unreadable ({}); the trial runs again", path.string(), e.what());
    return std::nullopt;
  }
}

void write_result(const std::filesystem::path& sweep_dir, const TrialResult& r,
                  const std::vector<std::pair<std::string, std::string>>& values) {
  nlohmann::json j;
  j["key"] = r.key;
  j["values"] = nlohmann::json::object();
  for (const auto& [axis, label] : values) j["values"][axis] = label;
  j["status"] = r.status;
  if (!r.note.empty()) j["note"] = r.note;
  j["folds_planned"] = r.folds_planned;
  j["epochs"] = r.epochs;
  j["seconds"] = r.seconds;
  j["val_accuracy_mean"] = number_or_null(r.mean_accuracy());
  j["val_accuracy_std"] = number_or_null(r.std_accuracy());
  j["val_loss_mean"] = number_or_null(r.mean_loss());
  j["val_loss_std"] = number_or_null(r.std_loss());
  j["val_balanced_accuracy_mean"] = number_or_null(r.mean_balanced_accuracy());
  j["val_macro_f1_mean"] = number_or_null(r.mean_macro_f1());
  j["folds"] = nlohmann::json::array();
  for (const auto& f : r.folds)
    j["folds"].push_back({{"fold", f.fold},
                          {"val_accuracy", number_or_null(f.val_accuracy)},
                          {"val_loss", number_or_null(f.val_loss)},
                          {"train_accuracy", number_or_null(f.train_accuracy)},
                          {"train_loss", number_or_null(f.train_loss)},
                          {"val_balanced_accuracy", number_or_null(f.val_balanced_accuracy)},
                          {"val_macro_f1", number_or_null(f.val_macro_f1)},
                          {"seconds", f.seconds}});
  write_file_atomic(SweepFiles(sweep_dir).trial_result(r.key), j.dump(2) + "\n");
}

}  // namespace sweep
}  // namespace emnist
