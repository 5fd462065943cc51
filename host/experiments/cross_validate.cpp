#include "experiments/cross_validate.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "emnist/cuda_info.hpp"
#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/trainer.hpp"

namespace emnist::sweep {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What a fold directory keeps: the metrics and reports. The weights and sample images are what
// make a run directory big, and a sweep picks configurations, not models.
void drop_heavy_files(const std::filesystem::path& dir) {
  std::error_code ec;
  const RunFiles files(dir);
  for (const auto& path : {files.model(), files.sample_images(), files.sample_labels(),
                           files.prediction_images("val")})
    std::filesystem::remove(path, ec);
}

bool diverged(const UserError& e) {
  return std::string_view(e.what()).starts_with("training diverged");
}

}  // namespace

void check_fold_size(const TrialPlan& plan, int folds, const CvPool& pool) {
  const auto smallest_train = static_cast<int64_t>(pool.indices.size()) -
                              (static_cast<int64_t>(pool.indices.size()) + folds - 1) / folds;
  if (smallest_train < plan.config.train.batch_size)
    throw UserError(fmt::format(
        "train.batch_size = {} is larger than a fold's training part ({} images: {} of {} "
        "folds); lower train.batch_size, raise data.limit or use fewer folds",
        plan.config.train.batch_size, smallest_train, folds - 1, folds));
}

TrialResult cross_validate(const TrialPlan& plan, int folds, const CvPool& pool,
                           const std::filesystem::path& trial_dir, double prune_below) {
  check_fold_size(plan, folds, pool);
  const auto start = std::chrono::steady_clock::now();
  const ImageSet& images = pool.dataset.train;
  const auto parts = stratified_kfold(images, pool.indices, folds, plan.config.data.seed);
  auto backend = make_backend(plan.config.train.device, &plan.config.train);

  TrialResult result;
  result.key = plan.key;
  result.folds_planned = folds;
  result.epochs = plan.config.train.epochs;
  for (int f = 0; f < folds; ++f) {
    Splits splits;
    splits.train.source = splits.val.source = splits.test.source = &images;
    splits.val.indices = parts[static_cast<size_t>(f)];
    for (int other = 0; other < folds; ++other)
      if (other != f) {
        const auto& part = parts[static_cast<size_t>(other)];
        splits.train.indices.insert(splits.train.indices.end(), part.begin(), part.end());
      }
    std::sort(splits.train.indices.begin(), splits.train.indices.end());

    const auto dir = trial_dir / fmt::format("fold{}", f + 1);
    std::filesystem::remove_all(dir);  // what an interrupted attempt left
    std::filesystem::create_directories(dir);
    spdlog::info("fold {}/{}: train {} images, validate {}", f + 1, folds, splits.train.size(),
                 splits.val.size());
    const auto fold_start = std::chrono::steady_clock::now();
    TrainSummary summary;
    try {
      summary = train_run(plan.config, pool.dataset, splits, *backend, dir);
    } catch (const UserError& e) {
      if (!diverged(e)) throw;
      result.status = "failed";
      result.note = fmt::format("fold {}: {}", f + 1, e.what());
      spdlog::warn("trial {} failed: {}", plan.key, result.note);
      break;
    }
    drop_heavy_files(dir);
    FoldResult fr;
    fr.fold = f + 1;
    fr.val_accuracy = summary.val.accuracy;
    fr.val_loss = summary.val.loss;
    fr.val_balanced_accuracy = summary.val.balanced_accuracy;
    fr.val_macro_f1 = summary.val.macro_f1;
    fr.train_accuracy = summary.train.accuracy;
    fr.train_loss = summary.train.loss;
    fr.seconds = seconds_since(fold_start);
    result.folds.push_back(fr);
    if (f == 0 && folds > 1 && fr.val_accuracy < prune_below) {
      result.status = "pruned";
      result.note = fmt::format(
          "stopped after fold 1: validation accuracy {:.4f} is below {:.4f} (the best mean so far "
          "minus prune_margin)",
          fr.val_accuracy, prune_below);
      spdlog::info("trial {} {}", plan.key, result.note);
      break;
    }
  }
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace emnist::sweep
