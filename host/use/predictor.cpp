#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

#include "emnist/config.hpp"
#include "emnist/error.hpp"
#include "emnist/model.hpp"
#include "emnist/predict.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/safetensors.hpp"
#include "experiments/csv_read.hpp"
#include "text_file.hpp"
#include "train/batches.hpp"
#include "train/step_runner.hpp"
#include "use/finished_run.hpp"

namespace emnist {
std::vector<std::string> run_class_names(const std::filesystem::path& run_dir) {
  const RunFiles files(run_dir);
  const std::string summary = read_text(files.summary());
  if (!summary.empty()) {
    const auto json = nlohmann::json::parse(summary, nullptr, false);
    if (!json.is_discarded() && json.contains("class_names") && json["class_names"].is_array() &&
        !json["class_names"].empty())
      return json["class_names"].get<std::vector<std::string>>();
  }
  // The confusion matrix's header: an empty corner, then the classes.
  for (const char* split : {"test", "val"}) {
    const auto path = run_dir / fmt::format("confusion_{}.csv", split);
    if (!std::filesystem::is_regular_file(path)) continue;
    const auto rows = sweep::parse_csv(read_text(path));
    if (!rows.empty() && rows[0].size() > 1) return {rows[0].begin() + 1, rows[0].end()};
  }
  throw UserError(fmt::format(
      "{}: no class names (summary.json's class_names, or confusion_test.csv); is it a finished "
      "run directory?",
      run_dir.string()));
}

struct Predictor::State {
  Config config;
  std::unique_ptr<Model> model;
  std::unique_ptr<StepRunner> runner;
  std::unique_ptr<BatchFeeder> feeder;
  int64_t max_batch = 0;
};

Predictor::Predictor(const std::filesystem::path& run_dir, Backend& backend, int64_t max_batch)
    : state_(std::make_unique<State>()) {
  if (max_batch < 1) throw UserError("a predictor needs batches of at least one image");
  FinishedRun run = read_finished_run(run_dir);
  State& s = *state_;
  s.config = std::move(run.config);
  class_names_ = std::move(run.class_names);
  model_kind_ = std::string(choice_name(s.config.model.kind));
  s.max_batch = max_batch;
  s.model = make_model(backend, s.config.model, kEmnistSide, kEmnistSide, classes(), max_batch,
                       s.config.train.seed);
  s.model->load_state_dict(run.weights, RunFiles(run_dir).model().string());
  s.runner = std::make_unique<StepRunner>(*s.model, s.config.train);
  s.feeder = std::make_unique<BatchFeeder>(backend, max_batch, kEmnistSide * kEmnistSide);
}

Predictor::~Predictor() = default;

int64_t Predictor::parameters() const { return state_->model->parameter_count(); }

const Config& Predictor::config() const { return state_->config; }

std::vector<float> Predictor::probabilities(std::span<const EmnistImage> images) {
  State& s = *state_;
  const auto n_classes = static_cast<size_t>(classes());
  std::vector<float> out(images.size() * n_classes);
  std::vector<float> logits(static_cast<size_t>(s.max_batch) * n_classes);
  ImageSet batch;
  batch.rows = batch.cols = kEmnistSide;
  Subset subset;
  subset.source = &batch;
  for (size_t first = 0; first < images.size(); first += static_cast<size_t>(s.max_batch)) {
    const auto n =
        static_cast<int64_t>(std::min(images.size() - first, static_cast<size_t>(s.max_batch)));
    batch.count = n;
    batch.pixels.resize(static_cast<size_t>(n) * kEmnistSide * kEmnistSide);
    for (int64_t i = 0; i < n; ++i)
      std::copy(images[first + static_cast<size_t>(i)].begin(),
                images[first + static_cast<size_t>(i)].end(),
                batch.pixels.begin() + i * kEmnistSide * kEmnistSide);
    batch.labels.assign(static_cast<size_t>(n), 0);
    subset.indices.resize(static_cast<size_t>(n));
    std::iota(subset.indices.begin(), subset.indices.end(), int64_t{0});
    s.feeder->load_range(s.model->batch(), subset, 0, n);
    s.runner->eval_batch(n);
    s.runner->read_outputs(n, logits.data(), out.data() + first * n_classes);
  }
  return out;
}

std::vector<Ranked> top_classes(std::span<const float> probabilities, int k) {
  std::vector<Ranked> all(probabilities.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = {static_cast<int>(i), probabilities[i]};
  const size_t keep = std::min(all.size(), static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const Ranked& a, const Ranked& b) {
                      return a.probability != b.probability ? a.probability > b.probability
                                                            : a.index < b.index;
                    });
  all.resize(keep);
  return all;
}

}  // namespace emnist
