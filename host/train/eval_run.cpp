#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/run_images.hpp"
#include "emnist/safetensors.hpp"
#include "emnist/trainer.hpp"
#include "train/batches.hpp"
#include "train/evaluate.hpp"
#include "train/run_files.hpp"

namespace emnist {

EvalSummary eval_run(const std::filesystem::path& run_dir, const std::string& split,
                     Backend& backend, const std::filesystem::path& data_dir, EvalWeights weights) {
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

  const Dataset data = load_dataset(config.data);
  const Splits splits = make_splits(data, config.data);
  const Subset& subset = split == "train" ? splits.train
                         : split == "val" ? splits.val
                                          : splits.test;
  if (subset.size() == 0)
    throw UserError(fmt::format("the {} split of this run is empty (see data.* in {})", split,
                                config_path.string()));

  const ImageSet& images = *subset.source;
  const TrainConfig& tc = config.train;
  // The training batch size, so the batches (and so every floating-point sum) match training's.
  auto model = make_model(backend, config.model, images.rows, images.cols, data.num_classes(),
                          tc.batch_size, tc.seed);
  model->load_state_dict(tensors, model_path.string());
  StepRunner runner(*model, tc);
  const std::unique_ptr<Feeder> feeder =
      make_feeder(tc, backend, tc.batch_size, images.image_size());
  const EvalResult result = evaluate(runner, *feeder, subset, true);

  EvalSummary summary;
  summary.split = best ? split + "_best" : split;
  summary.report = write_split_files(run_dir, summary.split, result, data.class_names);
  write_prediction_images(run_dir, summary.split, subset);
  summary.metrics = split_metrics(result.totals, summary.report);
  spdlog::info("{}: loss {:.4f}  accuracy {:.4f}  macro F1 {:.4f}  ({} samples, {})", summary.split,
               summary.metrics.loss, summary.metrics.accuracy, summary.metrics.macro_f1,
               summary.metrics.samples, backend.name());
  return summary;
}

}  // namespace emnist
