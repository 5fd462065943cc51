#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "emnist/batches.hpp"
#include "emnist/error.hpp"
#include "emnist/evaluate.hpp"
#include "emnist/progress.hpp"
#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/run_images.hpp"
#include "emnist/schedule.hpp"
#include "emnist/summary.hpp"
#include "emnist/trainer.hpp"
#include "train/run_files.hpp"

namespace emnist {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_finite(double loss, int epoch, const TrainConfig& t) {
  if (!std::isfinite(loss))
    throw UserError(
        fmt::format("training diverged: the loss became {} in epoch {}; lower train.lr "
                    "(now {}) or turn on model.batch_norm",
                    loss, epoch, t.lr));
}

void log_samples(const EvalResult& test, const Dataset& data) {
  const size_t shown = std::min<size_t>(6, test.predictions.size());
  for (size_t i = 0; i < shown; ++i) {
    const Prediction& p = test.predictions[i];
    spdlog::info("test sample {}: true '{}'  predicted '{}' ({:.1f}%){}", p.index,
                 data.class_names[static_cast<size_t>(p.truth)],
                 data.class_names[static_cast<size_t>(p.predicted())], 100.0 * p.prob[0],
                 p.truth == p.predicted() ? "" : "  (wrong)");
  }
}

}  // namespace

TrainSummary train_run(const Config& config, Backend& backend,
                       const std::filesystem::path& run_dir) {
  const Dataset data = load_dataset(config.data);
  return train_run(config, data, backend, run_dir);
}

TrainSummary train_run(const Config& config, const Dataset& data, Backend& backend,
                       const std::filesystem::path& run_dir) {
  return train_run(config, data, make_splits(data, config.data), backend, run_dir);
}

TrainSummary train_run(const Config& config, const Dataset& data, const Splits& splits,
                       Backend& backend, const std::filesystem::path& run_dir) {
  const TrainConfig& tc = config.train;
  const Subset& train = splits.train;
  if (tc.epochs < 1) throw UserError("train.epochs must be at least 1");
  if (train.size() < tc.batch_size)
    throw UserError(
        fmt::format("train.batch_size = {} is larger than the training split ({} "
                    "samples); lower train.batch_size or raise data.limit",
                    tc.batch_size, train.size()));
  if (!std::filesystem::exists(run_dir / "config.toml"))
    write_file_atomic(run_dir / "config.toml", to_toml(config));

  const ImageSet& images = *train.source;
  auto model = make_model(backend, config.model, images.rows, images.cols, data.num_classes(),
                          tc.batch_size, tc.seed);
  model->initialize(tc.seed);
  StepRunner runner(*model, tc);
  BatchFeeder feeder(tc.batch_size, images.image_size());
  const int64_t steps_per_epoch = train.size() / tc.batch_size;
  const LrSchedule schedule(tc, steps_per_epoch);
  const int log_every = std::max(1, tc.log_every);

  TrainSummary summary;
  summary.run_dir = run_dir;
  summary.dataset = data.name;
  summary.device = backend.name();
  summary.classes = data.num_classes();
  summary.parameters = model->parameter_count();
  summary.epochs = tc.epochs;
  spdlog::info("{} model, {} parameters, on {}; {} classes; train {}, val {}, test {} samples",
               config.model.kind, model->parameter_count(), backend.name(), data.num_classes(),
               train.size(), splits.val.size(), splits.test.size());
  spdlog::debug("model:\n{}", model->describe());

  ProgressLine progress;
  EvalResult val;
  double train_seconds_total = 0;
  const auto run_start = Clock::now();
  for (int epoch = 0; epoch < tc.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const std::vector<int64_t> order = epoch_order(tc.seed, epoch, train.size());
    runner.reset_totals();
    double lr = tc.lr;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      lr = schedule.lr(epoch, step);
      feeder.load(*model, train, order.data() + step * tc.batch_size, tc.batch_size);
      runner.train_batch(tc.batch_size, static_cast<float>(lr));
      if ((step + 1) % log_every == 0 && step + 1 < steps_per_epoch) {
        const double loss = runner.read_last_loss();
        check_finite(loss, epoch + 1, tc);
        const double elapsed = seconds_since(epoch_start);
        progress.update(epoch + 1, tc.epochs, step + 1, steps_per_epoch, loss,
                        static_cast<double>((step + 1) * tc.batch_size) / elapsed,
                        elapsed / static_cast<double>(step + 1) *
                            static_cast<double>(steps_per_epoch - step - 1));
      }
    }
    const Totals totals = runner.read_totals();  // reads back, so the device has finished
    const double train_seconds = seconds_since(epoch_start);
    train_seconds_total += train_seconds;
    check_finite(totals.loss(), epoch + 1, tc);

    EpochRecord record;
    record.epoch = epoch + 1;
    record.lr = lr;
    record.train_loss = totals.loss();
    record.train_accuracy = totals.accuracy();
    record.val_loss = record.val_accuracy = std::numeric_limits<double>::quiet_NaN();
    if (splits.val.size() > 0) {
      // The last validation pass keeps its predictions for the run directory.
      val = evaluate(runner, feeder, splits.val, epoch + 1 == tc.epochs);
      record.val_loss = val.totals.loss();
      record.val_accuracy = val.totals.accuracy();
    }
    record.seconds = seconds_since(epoch_start);
    record.samples_per_second = static_cast<double>(totals.samples) / train_seconds;
    summary.history.push_back(record);
    summary.train = split_metrics(totals, classification_report(totals.confusion, totals.classes));
    write_file_atomic(run_dir / "metrics.csv", metrics_csv(summary.history));

    progress.clear();
    const std::string val_text =
        splits.val.size() > 0
            ? fmt::format("  val loss {:.4f} acc {:.4f}", record.val_loss, record.val_accuracy)
            : std::string();
    spdlog::info(
        "epoch {}/{}  lr {:.3g}  train loss {:.4f} acc {:.4f}{}  {:.1f} s  {:.0f} samples/s",
        epoch + 1, tc.epochs, lr, record.train_loss, record.train_accuracy, val_text,
        record.seconds, record.samples_per_second);
  }
  summary.training_seconds = seconds_since(run_start);
  summary.samples_per_second =
      static_cast<double>(steps_per_epoch * tc.batch_size) * tc.epochs / train_seconds_total;

  write_safetensors(run_dir / "model.safetensors", model->state_dict());
  if (splits.val.size() > 0) {
    const ClassificationReport report = write_split_files(run_dir, "val", val, data.class_names);
    summary.val = split_metrics(val.totals, report);
  }
  if (splits.test.size() > 0) {
    const EvalResult test = evaluate(runner, feeder, splits.test, true);
    const ClassificationReport report = write_split_files(run_dir, "test", test, data.class_names);
    summary.test = split_metrics(test.totals, report);
    spdlog::info("test loss {:.4f}  accuracy {:.4f}  macro F1 {:.4f}  ({} samples)",
                 summary.test.loss, summary.test.accuracy, summary.test.macro_f1,
                 summary.test.samples);
    log_samples(test, data);
  }
  write_run_images(run_dir, splits, data.class_names);
  write_file_atomic(run_dir / "summary.json", summary_json(summary, config));
  spdlog::info("trained in {:.1f} s ({:.0f} samples/s); results in {}", summary.training_seconds,
               summary.samples_per_second, run_dir.string());
  return summary;
}

}  // namespace emnist
