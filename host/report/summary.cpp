#include "emnist/summary.hpp"

#include <fmt/core.h>
#include <spdlog/version.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace emnist {
namespace {

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

nlohmann::json split_json(const SplitMetrics& m) {
  return {{"samples", m.samples},
          {"loss", number_or_null(m.loss)},
          {"accuracy", number_or_null(m.accuracy)},
          {"macro_f1", number_or_null(m.macro_f1)},
          {"balanced_accuracy", number_or_null(m.balanced_accuracy)}};
}

}  // namespace

std::string summary_json(const TrainSummary& s, const Config& config) {
  nlohmann::json j;
  j["dataset"] = s.dataset;
  j["classes"] = s.classes;
  j["class_names"] = s.class_names;
  j["model"] = choice_name(config.model.kind);
  j["parameters"] = s.parameters;
  j["epochs"] = s.epochs;
  j["batch_size"] = config.train.batch_size;
  j["optimizer"] = choice_name(config.train.optimizer);
  j["training_seconds"] = s.training_seconds;
  j["samples_per_second"] = s.samples_per_second;
  j["metrics"] = {
      {"train", split_json(s.train)}, {"val", split_json(s.val)}, {"test", split_json(s.test)}};
  if (s.best_epoch > 0) {
    j["best_epoch"] = {
        {"epoch", s.best_epoch},
        {"val_accuracy", s.history[static_cast<size_t>(s.best_epoch - 1)].val_accuracy},
        {"model", "model_best.safetensors"}};
  }
  j["device"] = s.device;
  j["versions"] = {
#ifdef EMNIST_VERSION
      {"emnist", EMNIST_VERSION},
#endif
      {"compiler", __VERSION__},
      {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
      {"fmt",
       fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                    NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)}};
  j["commit"] = build_commit();
  return j.dump(2) + "\n";
}

}  // namespace emnist
