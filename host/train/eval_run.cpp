#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "emnist/error.hpp"
#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/run_images.hpp"
#include "emnist/safetensors.hpp"
#include "emnist/trainer.hpp"
#include "train/batches.hpp"
#include "train/evaluate.hpp"
#include "train/run_files.hpp"

namespace emnist {
namespace {

// A run's model evaluated again on one of its splits, with the data it read.
struct RunEvaluation {
  Dataset data;
  Splits splits;
  const Subset* subset = nullptr;
  EvalResult result;
};

// Reads run_dir/config.toml and the model `weights` names, rebuilds the splits as training did and
// evaluates `split`; `out` receives it all (the subset points into out.splits).
void evaluate_run(const std::filesystem::path& run_dir, const std::string& split, Backend& backend,
                  const std::filesystem::path& data_dir, EvalWeights weights, bool probabilities,
                  RunEvaluation& out) {
  if (split != "train" && split != "val" && split != "test")
    throw UserError(fmt::format("split \"{}\": allowed are train, val, test", split));
  const std::filesystem::path config_path = RunFiles(run_dir).config();
  if (!std::filesystem::exists(config_path))
    throw UserError(fmt::format("{}: not found; is {} a run directory?", config_path.string(),
                                run_dir.string()));
  Config config = load_config(config_path);
  if (!data_dir.empty()) config.data.dir = data_dir.string();
  const bool best = weights == EvalWeights::best;
  const std::filesystem::path model_path =
      best ? RunFiles(run_dir).model_best() : RunFiles(run_dir).model();
  if (best && !std::filesystem::exists(model_path))
    throw UserError(fmt::format(
        "{}: not found; only a run with a validation split (data.val_fraction > 0) keeps its best "
        "epoch's model",
        model_path.string()));
  // Read the weights before the (slower) data, so a bad file fails fast.
  const TensorMap tensors = read_safetensors(model_path);

  out.data = load_dataset(config.data);
  out.splits = make_splits(out.data, config.data);
  out.subset = split == "train" ? &out.splits.train
               : split == "val" ? &out.splits.val
                                : &out.splits.test;
  if (out.subset->size() == 0)
    throw UserError(fmt::format("the {} split of this run is empty (see data.* in {})", split,
                                config_path.string()));

  const ImageSet& images = *out.subset->source;
  const TrainConfig& tc = config.train;
  // The training batch size, so the batches (and so every floating-point sum) match training's.
  auto model = make_model(backend, config.model, images.rows, images.cols, out.data.num_classes(),
                          tc.batch_size, tc.seed);
  model->load_state_dict(tensors, model_path.string());
  StepRunner runner(*model, tc);
  const std::unique_ptr<Feeder> feeder =
      make_feeder(tc, backend, tc.batch_size, images.image_size());
  out.result = evaluate(runner, *feeder, *out.subset, true, probabilities);
}

void log_metrics(const std::string& what, const SplitMetrics& m, const Backend& backend) {
  spdlog::info(
      "{}: loss {:.4f}  accuracy {:.4f}  balanced accuracy {:.4f}  macro F1 {:.4f}  ({} samples, "
      "{})",
      what, m.loss, m.accuracy, m.balanced_accuracy, m.macro_f1, m.samples, backend.name());
}

}  // namespace

EvalSummary eval_run(const std::filesystem::path& run_dir, const std::string& split,
                     Backend& backend, const std::filesystem::path& data_dir, EvalWeights weights) {
  RunEvaluation run;
  evaluate_run(run_dir, split, backend, data_dir, weights, false, run);
  EvalSummary summary;
  summary.split = weights == EvalWeights::best ? split + "_best" : split;
  summary.report = write_split_files(run_dir, summary.split, run.result, run.data.class_names);
  write_prediction_images(run_dir, summary.split, *run.subset);
  summary.metrics = split_metrics(run.result.totals, summary.report);
  log_metrics(summary.split, summary.metrics, backend);
  return summary;
}

EvalSummary eval_ensemble(const std::vector<std::filesystem::path>& run_dirs,
                          const std::string& split, Backend& backend,
                          const std::filesystem::path& out_dir,
                          const std::filesystem::path& data_dir, EvalWeights weights) {
  if (run_dirs.size() < 2) throw UserError("an ensemble needs at least two runs (--run, repeated)");
  std::vector<double> sum;  // the members' probabilities, added in member order
  std::vector<int64_t> indices;
  std::vector<int32_t> truth;
  std::vector<std::string> class_names;
  int classes = 0;
  nlohmann::json members = nlohmann::json::array();
  for (size_t m = 0; m < run_dirs.size(); ++m) {
    RunEvaluation run;
    evaluate_run(run_dirs[m], split, backend, data_dir, weights, true, run);
    const SplitMetrics own = split_metrics(
        run.result.totals,
        classification_report(run.result.totals.confusion, run.result.totals.classes));
    log_metrics(run_dirs[m].string(), own, backend);
    members.push_back({{"run", std::filesystem::absolute(run_dirs[m]).string()},
                       {"accuracy", own.accuracy},
                       {"balanced_accuracy", own.balanced_accuracy},
                       {"macro_f1", own.macro_f1}});
    std::vector<int32_t> labels;
    for (const Prediction& p : run.result.predictions) labels.push_back(p.truth);
    if (m == 0) {
      indices = run.subset->indices;
      truth = labels;
      class_names = run.data.class_names;
      classes = run.result.totals.classes;
      sum.assign(run.result.probabilities.size(), 0.0);
    } else if (run.subset->indices != indices || labels != truth ||
               run.data.class_names != class_names) {
      throw UserError(fmt::format(
          "{}: its {} split is not the first run's ({}): an ensemble's runs must split the same "
          "data the same way (data.* in their config.toml)",
          run_dirs[m].string(), split, run_dirs[0].string()));
    }
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += run.result.probabilities[i];
  }

  // The ensemble's predictions: the mean probabilities, ranked as a run's are.
  EvalResult ensemble;
  ensemble.totals.classes = classes;
  ensemble.totals.confusion.assign(static_cast<size_t>(classes) * static_cast<size_t>(classes), 0);
  const double k = static_cast<double>(run_dirs.size());
  std::vector<float> mean(static_cast<size_t>(classes));
  for (size_t s = 0; s < indices.size(); ++s) {
    for (int c = 0; c < classes; ++c)
      mean[static_cast<size_t>(c)] =
          static_cast<float>(sum[s * static_cast<size_t>(classes) + static_cast<size_t>(c)] / k);
    const Prediction p = rank_prediction(indices[s], truth[s], mean.data(), mean.data(), classes);
    ensemble.predictions.push_back(p);
    ensemble.totals.confusion[static_cast<size_t>(p.truth * classes + p.predicted())] += 1;
    ensemble.totals.loss_sum -= std::log(static_cast<double>(mean[static_cast<size_t>(p.truth)]));
    ensemble.totals.samples += 1;
  }
  EvalSummary summary;
  summary.split = split;
  summary.report = write_split_files(out_dir, split, ensemble, class_names);
  summary.metrics = split_metrics(ensemble.totals, summary.report);
  nlohmann::json j;
  j["split"] = split;
  j["weights"] = weights == EvalWeights::best ? "best" : "last";
  j["members"] = members;
  j["metrics"] = {{"samples", summary.metrics.samples},
                  {"loss", summary.metrics.loss},
                  {"accuracy", summary.metrics.accuracy},
                  {"balanced_accuracy", summary.metrics.balanced_accuracy},
                  {"macro_f1", summary.metrics.macro_f1}};
  write_file_atomic(out_dir / "ensemble.json", j.dump(2) + "\n");
  log_metrics(fmt::format("ensemble of {}", run_dirs.size()), summary.metrics, backend);
  return summary;
}

}  // namespace emnist
