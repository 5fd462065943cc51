#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>

#include "emnist/checkpoint.hpp"
#include "emnist/error.hpp"
#include "emnist/interrupt.hpp"
#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/run_images.hpp"
#include "emnist/summary.hpp"
#include "emnist/trainer.hpp"
#include "train/batches.hpp"
#include "train/evaluate.hpp"
#include "train/fault_injection.hpp"
#include "train/progress.hpp"
#include "train/run_checkpoints.hpp"
#include "train/run_files.hpp"
#include "train/schedule.hpp"

namespace emnist {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

// The training loop of one run: epochs of steps, progress, validation and metrics.csv; its
// checkpoints (RunCheckpoints) and the test faults of EMNIST_FAULT (fault_injection.hpp) stand
// apart.
class TrainingLoop {
 public:
  TrainingLoop(const Config& config, const Splits& splits, Model& model, StepRunner& runner,
               Feeder& feeder, const std::filesystem::path& run_dir, bool checkpoints,
               std::string config_before, std::string data)
      : tc_(config.train),
        splits_(splits),
        model_(model),
        runner_(runner),
        feeder_(feeder),
        run_dir_(run_dir),
        steps_per_epoch_(splits.train.size() / tc_.batch_size),
        schedule_(tc_, steps_per_epoch_),
        checkpoints_(config, run_dir, checkpoints, steps_per_epoch_, std::move(config_before),
                     std::move(data)) {}

  int64_t steps_per_epoch() const { return steps_per_epoch_; }

  void resume_from(const Checkpoint& c, const std::string& data) {
    if (!c.data.empty() && c.data != data)
      throw UserError(fmt::format(
          "{}: the data differs from what the run trained on (then {}, now {}); give the run's "
          "data (train --resume {} --data DIR), or start a new run",
          checkpoint_file(run_dir_).string(), c.data, data, run_dir_.string()));
    if (c.steps_per_epoch != steps_per_epoch_)
      throw UserError(fmt::format(
          "{}: the checkpoint has {} steps per epoch, this data and batch size give {}; the data "
          "or train.batch_size changed since the run started",
          checkpoint_file(run_dir_).string(), c.steps_per_epoch, steps_per_epoch_));
    restore_state(c, model_, runner_.optimizer(), runner_.average(),
                  checkpoint_file(run_dir_).string());
    runner_.restore(c.optimizer_steps, c.totals);
    start_epoch_ = c.epoch;
    start_step_ = c.step;
    history_ = c.history;
    for (size_t i = 0; i < history_.size(); ++i)
      if (beats_best(history_[i].val_accuracy)) best_epoch_ = static_cast<int>(i) + 1;
    train_seconds_ = c.train_seconds;
    if (c.step == 0 && c.epoch > 0) last_train_totals_ = c.totals;
    checkpoints_.resumed_at(c.epoch, c.step);
    spdlog::info("resuming from {} ({} of {} epochs done)", *checkpoints_.last_good(), c.epoch,
                 tc_.epochs);
  }

  // Runs the remaining epochs. Returns the last validation pass (with predictions) when there is a
  // validation split.
  EvalResult run() {
    std::optional<InterruptGuard> guard;
    if (checkpoints_.enabled()) guard.emplace();
    EvalResult val;
    const int log_every = std::max(1, tc_.log_every);
    const Subset& train = splits_.train;
    for (int epoch = start_epoch_; epoch < tc_.epochs; ++epoch) {
      const auto epoch_start = Clock::now();
      const int64_t first_step = epoch == start_epoch_ ? start_step_ : 0;
      if (first_step == 0) runner_.reset_totals();
      feeder_.begin_epoch(train, tc_.seed, epoch);
      double lr = tc_.lr;
      for (int64_t step = first_step; step < steps_per_epoch_; ++step) {
        lr = schedule_.lr(epoch, step);
        feeder_.load_step(model_.batch(), step, tc_.batch_size);
        runner_.train_batch(tc_.batch_size, static_cast<float>(lr));
        inject_after_step(runner_.steps(), model_);
        const bool last = step + 1 == steps_per_epoch_;
        if ((step + 1) % log_every == 0 && !last) runner_.request_progress();
        if (const auto sample = runner_.poll_progress())
          show_progress(*sample, epoch, first_step, epoch_start);
        // At the epoch's last step the epoch finishes first and its checkpoint serves.
        if (InterruptGuard::pending() != 0 && !last) {
          progress_.clear();
          check_diverged();
          train_seconds_ += seconds_since(epoch_start);
          save(epoch, step + 1, runner_.read_totals());
          checkpoints_.interrupted(epoch, step + 1);
        }
      }
      const Totals totals = runner_.read_totals();  // reads back, so the device has finished
      const double train_seconds = seconds_since(epoch_start);
      train_seconds_ += train_seconds;
      check_diverged();

      EpochRecord record;
      record.epoch = epoch + 1;
      record.lr = lr;
      record.train_loss = totals.loss();
      record.train_accuracy = totals.accuracy();
      record.val_loss = record.val_accuracy = std::numeric_limits<double>::quiet_NaN();
      if (splits_.val.size() > 0) {
        // The last validation pass keeps its predictions for the run directory.
        const AverageInModel averaged(runner_.average());
        val = evaluate(runner_, feeder_, splits_.val, epoch + 1 == tc_.epochs);
        record.val_loss = val.totals.loss();
        record.val_accuracy = val.totals.accuracy();
        const ClassificationReport report =
            classification_report(val.totals.confusion, val.totals.classes);
        record.val_balanced_accuracy = report.macro_avg.recall;
        record.val_macro_f1 = report.macro_avg.f1;
        // Before the checkpoint: a run resumed from the previous one recomputes this epoch
        // exactly and writes the same file again.
        if (beats_best(record.val_accuracy)) {
          write_safetensors(RunFiles(run_dir_).model_best(), model_.state_dict());
          best_epoch_ = epoch + 1;
        }
      }
      record.seconds = seconds_since(epoch_start);
      if (first_step == 0) last_whole_epoch_ = {train_seconds, record.seconds};
      record.samples_per_second =
          static_cast<double>((steps_per_epoch_ - first_step) * tc_.batch_size) / train_seconds;
      history_.push_back(record);
      last_train_totals_ = totals;
      write_file_atomic(RunFiles(run_dir_).metrics(), metrics_csv(history_));
      if (checkpoints_.enabled()) save(epoch + 1, 0, totals);

      progress_.clear();
      const std::string val_text =
          splits_.val.size() > 0
              ? fmt::format("  val loss {:.4f} acc {:.4f} bal {:.4f} F1 {:.4f}", record.val_loss,
                            record.val_accuracy, record.val_balanced_accuracy, record.val_macro_f1)
              : std::string();
      spdlog::info(
          "epoch {}/{}  lr {:.3g}  train loss {:.4f} acc {:.4f}{}  {:.1f} s  {:.0f} samples/s",
          epoch + 1, tc_.epochs, lr, record.train_loss, record.train_accuracy, val_text,
          record.seconds, record.samples_per_second);
      if (InterruptGuard::pending() != 0) checkpoints_.interrupted(epoch + 1, 0);
    }
    if (checkpoints_.enabled()) checkpoints_.sync_config_file();
    // Resumed after the last epoch: the validation pass is recomputed (the same numbers).
    if (splits_.val.size() > 0 && val.totals.samples == 0) {
      const AverageInModel averaged(runner_.average());
      val = evaluate(runner_, feeder_, splits_.val, true);
    }
    return val;
  }

  const std::vector<EpochRecord>& history() const { return history_; }
  int best_epoch() const { return best_epoch_; }
  double train_seconds() const { return train_seconds_; }
  const std::optional<Totals>& last_train_totals() const { return last_train_totals_; }

 private:
  // Whether a validation accuracy beats the best epoch's so far (the earliest of equals stays).
  bool beats_best(double accuracy) const {
    if (std::isnan(accuracy)) return false;
    return best_epoch_ == 0 ||
           accuracy > history_[static_cast<size_t>(best_epoch_ - 1)].val_accuracy;
  }

  // A progress read-back arrives some steps after it was requested: the line reports the step it
  // was taken at, and the rate up to that step.
  void show_progress(const ProgressSample& sample, int epoch, int64_t first_step,
                     Clock::time_point epoch_start) {
    report_diverged(sample.first_nonfinite);
    const int64_t step =
        sample.step - int64_t{epoch} * steps_per_epoch_;         // steps of this epoch done
    if (step <= first_step || step >= steps_per_epoch_) return;  // requested in another epoch
    const double elapsed = seconds_since(epoch_start);
    const double seconds_per_step = elapsed / static_cast<double>(step - first_step);
    ProgressFigures f;
    f.epoch = epoch + 1;
    f.epochs = tc_.epochs;
    f.batch = step;
    f.batches = steps_per_epoch_;
    f.loss = sample.loss;
    f.samples_per_second = static_cast<double>(tc_.batch_size) / seconds_per_step;
    f.eta_seconds = seconds_per_step * static_cast<double>(steps_per_epoch_ - step);
    f.run_eta_seconds =
        run_eta_seconds(f.eta_seconds, seconds_per_step * static_cast<double>(steps_per_epoch_),
                        tc_.epochs - epoch - 1, last_whole_epoch_);
    progress_.update(f);
  }

  void check_diverged() { report_diverged(runner_.read_first_nonfinite()); }

  void report_diverged(int64_t bad) {
    if (bad < 0) return;
    progress_.clear();
    checkpoints_.diverged(fmt::format("the loss became NaN or infinite at {}",
                                      position_text(static_cast<int>(bad / steps_per_epoch_),
                                                    bad % steps_per_epoch_ + 1, steps_per_epoch_)));
  }

  void save(int epoch, int64_t step, const Totals& totals) {
    Checkpoint c;
    c.epoch = epoch;
    c.step = step;
    c.optimizer_steps = runner_.steps();
    c.train_seconds = train_seconds_;
    c.totals = totals;
    c.history = history_;
    progress_.clear();  // a divergence found in the weights ends the run with a message
    checkpoints_.save(std::move(c), model_, runner_.optimizer(), runner_.average());
  }

  const TrainConfig& tc_;
  const Splits& splits_;
  Model& model_;
  StepRunner& runner_;
  Feeder& feeder_;
  std::filesystem::path run_dir_;
  int64_t steps_per_epoch_;
  LrSchedule schedule_;
  RunCheckpoints checkpoints_;
  ProgressLine progress_;
  int start_epoch_ = 0;
  int64_t start_step_ = 0;
  std::vector<EpochRecord> history_;
  int best_epoch_ = 0;  // 1-based; 0: none yet
  double train_seconds_ = 0;
  EpochTimes last_whole_epoch_;  // of this process, for the run's time left
  std::optional<Totals> last_train_totals_;
};

}  // namespace

std::string data_fingerprint(const Dataset& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const ImageSet* set : {&data.train, &data.test}) {
    const auto add = [&crc](const void* p, size_t bytes) {
      for (size_t done = 0; done < bytes;) {
        const uInt chunk = static_cast<uInt>(std::min<size_t>(bytes - done, 1u << 30));
        crc = crc32(crc, static_cast<const Bytef*>(p) + done, chunk);
        done += chunk;
      }
    };
    add(set->pixels.data(), set->pixels.size());
    add(set->labels.data(), sizeof(int32_t) * set->labels.size());
  }
  return fmt::format("{} train and {} test images, crc32 {:08x}", data.train.count, data.test.count,
                     crc);
}

namespace {

TrainSummary run_training(const Config& config, const Dataset& data, const Splits& splits,
                          Backend& backend, const std::filesystem::path& run_dir, bool checkpoints,
                          const Resume* resume) {
  const TrainConfig& tc = config.train;
  const Subset& train = splits.train;
  if (tc.epochs < 1) throw UserError("train.epochs must be at least 1");
  if (train.size() < tc.batch_size)
    throw UserError(
        fmt::format("train.batch_size = {} is larger than the training split ({} "
                    "samples); lower train.batch_size or raise data.limit",
                    tc.batch_size, train.size()));
  const RunFiles files(run_dir);
  if (!std::filesystem::exists(files.config())) write_file_atomic(files.config(), to_toml(config));
  // Fails now, not after the first epoch, when checkpoints cannot be written.
  if (checkpoints)
    create_writable_dir(checkpoint_file(run_dir).parent_path(), "the checkpoint folder",
                        "choose a writable run directory with --out");

  const ImageSet& images = *train.source;
  auto model = make_model(backend, config.model, images.rows, images.cols, data.num_classes(),
                          tc.batch_size, tc.seed);
  model->initialize(tc.seed);
  StepRunner runner(*model, tc);
  if (tc.class_weights == ClassWeighting::balanced) {
    const std::vector<float> weights = balanced_class_weights(train, data.num_classes());
    const auto [lightest, heaviest] = std::minmax_element(weights.begin(), weights.end());
    spdlog::info("class weights (balanced): {:.3f} to {:.3f}", *lightest, *heaviest);
    runner.set_class_weights(weights);
  }
  const std::unique_ptr<Feeder> feeder =
      make_feeder(tc, backend, tc.batch_size, images.image_size());
  if (config.augment.active()) feeder->augment_training(config.augment.spec(tc.seed));
  if (tc.sampling == Sampling::balanced) {
    spdlog::info(
        "balanced sampling: each training draw picks one of the split's classes uniformly");
    feeder->sample_balanced();
  }
  const std::string fingerprint = checkpoints ? data_fingerprint(data) : std::string();
  TrainingLoop loop(config, splits, *model, runner, *feeder, run_dir, checkpoints,
                    resume != nullptr ? resume->config_file : to_toml(config), fingerprint);
  if (resume != nullptr) loop.resume_from(resume->checkpoint, fingerprint);

  TrainSummary summary;
  summary.run_dir = run_dir;
  summary.dataset = data.name;
  summary.device = backend.name();
  summary.classes = data.num_classes();
  summary.class_names = data.class_names;
  summary.parameters = model->parameter_count();
  summary.epochs = tc.epochs;
  spdlog::info("{} model, {} parameters, on {}; {} classes; train {}, val {}, test {} samples",
               choice_name(config.model.kind), model->parameter_count(), backend.name(),
               data.num_classes(), train.size(), splits.val.size(), splits.test.size());
  spdlog::debug("model:\n{}", model->describe());

  const auto run_start = Clock::now();
  const EvalResult val = loop.run();
  // With train.ema the trained model is the weight average, from here on: model.safetensors and
  // the test split (as the validation passes) see it.
  runner.average().swap();
  summary.history = loop.history();
  summary.best_epoch = loop.best_epoch();
  summary.training_seconds = seconds_since(run_start);
  summary.samples_per_second = static_cast<double>(loop.steps_per_epoch() * tc.batch_size) *
                               tc.epochs / loop.train_seconds();
  if (loop.last_train_totals()) {
    const Totals& t = *loop.last_train_totals();
    summary.train = split_metrics(t, classification_report(t.confusion, t.classes));
  }

  write_safetensors(files.model(), model->state_dict());
  if (splits.val.size() > 0) {
    const ClassificationReport report = write_split_files(run_dir, "val", val, data.class_names);
    summary.val = split_metrics(val.totals, report);
  }
  if (splits.test.size() > 0) {
    const EvalResult test = evaluate(runner, *feeder, splits.test, true);
    const ClassificationReport report = write_split_files(run_dir, "test", test, data.class_names);
    summary.test = split_metrics(test.totals, report);
    spdlog::info(
        "test loss {:.4f}  accuracy {:.4f}  balanced accuracy {:.4f}  macro F1 {:.4f}  ({} "
        "samples)",
        summary.test.loss, summary.test.accuracy, summary.test.balanced_accuracy,
        summary.test.macro_f1, summary.test.samples);
    log_samples(test, data);
  }
  write_run_images(run_dir, splits, data.class_names);
  write_file_atomic(files.summary(), summary_json(summary, config));
  spdlog::info("trained in {:.1f} s ({:.0f} samples/s); results in {}", summary.training_seconds,
               summary.samples_per_second, run_dir.string());
  return summary;
}

}  // namespace

std::vector<float> balanced_class_weights(const Subset& split, int classes) {
  std::vector<int64_t> count(static_cast<size_t>(classes), 0);
  for (const int64_t i : split.indices)
    ++count[static_cast<size_t>(split.source->labels[static_cast<size_t>(i)])];
  std::vector<float> weights(static_cast<size_t>(classes), 0.0f);
  for (size_t c = 0; c < count.size(); ++c)
    if (count[c] > 0)
      weights[c] =
          static_cast<float>(static_cast<double>(split.size()) /
                             (static_cast<double>(classes) * static_cast<double>(count[c])));
  return weights;
}

TrainSummary train_run(const Config& config, Backend& backend,
                       const std::filesystem::path& run_dir) {
  const Dataset data = load_dataset(config.data);
  return train_run(config, data, backend, run_dir);
}

TrainSummary train_run(const Config& config, const Dataset& data, Backend& backend,
                       const std::filesystem::path& run_dir) {
  return run_training(config, data, make_splits(data, config.data), backend, run_dir, true,
                      nullptr);
}

TrainSummary train_run(const Config& config, const Dataset& data, const Splits& splits,
                       Backend& backend, const std::filesystem::path& run_dir) {
  return run_training(config, data, splits, backend, run_dir, false, nullptr);
}

TrainSummary resume_run(const Resume& resume, Backend& backend,
                        const std::filesystem::path& run_dir) {
  const Config& config = resume.config;
  // A kill during a write leaves its temporary file behind.
  remove_stale_temporaries(run_dir);
  remove_stale_temporaries(RunFiles(run_dir).checkpoint_dir());
  const Dataset data = load_dataset(config.data);
  return run_training(config, data, make_splits(data, config.data), backend, run_dir, true,
                      &resume);
}

}  // namespace emnist
