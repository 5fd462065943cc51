#include "emnist/bench.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "emnist/config.hpp"
#include "emnist/element_math.hpp"
#include "emnist/error.hpp"
#include "train/batches.hpp"
#include "train/step_runner.hpp"

namespace emnist {
namespace {

// Random images of 28x28 and random labels, drawn with the engine's own generator so every machine
// benchmarks the same numbers.
ImageSet random_images(int64_t count, int classes) {
  ImageSet set;
  set.count = count;
  set.rows = set.cols = 28;
  set.pixels.resize(static_cast<size_t>(count * set.image_size()));
  set.labels.resize(static_cast<size_t>(count));
  for (size_t i = 0; i < set.pixels.size(); ++i)
    set.pixels[i] = static_cast<uint8_t>(math::random_bits(7, 100, i) >> 56);
  for (size_t i = 0; i < set.labels.size(); ++i)
    set.labels[i] =
        static_cast<int32_t>(math::random_bits(7, 101, i) % static_cast<uint64_t>(classes));
  return set;
}

}  // namespace

BenchResult bench(Backend& backend, ModelKind model_kind, int batch, int steps, const Dataset* data,
                  bool profile, FeederChoice feeder_choice) {
  if (batch < 1 || steps < 1)
    throw UserError("bench needs a batch size and a step count of at least 1");

  const int classes = data != nullptr ? data->num_classes() : 47;
  ImageSet random;
  const ImageSet* images = nullptr;
  if (data != nullptr) {
    images = data->has_train && data->train.count > 0 ? &data->train : &data->test;
    if (images->count == 0) throw UserError("bench: the dataset has no images");
  } else {
    random = random_images(int64_t{batch} * 4, classes);
    images = &random;
  }
  Subset subset;
  subset.source = images;
  subset.indices.resize(static_cast<size_t>(images->count));
  std::iota(subset.indices.begin(), subset.indices.end(), int64_t{0});

  ModelConfig model_config;  // the reference model of this kind: every default
  model_config.kind = model_kind;
  TrainConfig train_config;
  train_config.batch_size = batch;
  train_config.feeder = feeder_choice;
  auto model = make_model(backend, model_config, images->rows, images->cols, classes, batch,
                          train_config.seed);
  model->initialize(train_config.seed);
  StepRunner runner(*model, train_config);
  // By default the feeder training would use on this backend (on CUDA the images are on the
  // device, as PyTorch's peer has them), cycling through the whole batches of one epoch's order.
  const std::unique_ptr<Feeder> feeder =
      make_feeder(train_config, backend, batch, images->image_size());
  const int64_t batches = subset.size() / batch;
  if (batches < 1)
    throw UserError(
        fmt::format("bench: {} images are fewer than a batch of {}", subset.size(), batch));
  feeder->begin_epoch(subset, train_config.seed, 0);
  int64_t next = 0;
  auto step = [&] {
    {
      const ScopedRange range(backend, "load batch");
      feeder->load_step(model->batch(), next, batch);
    }
    next = (next + 1) % batches;
    runner.train_batch(batch, static_cast<float>(train_config.lr));
  };

  BenchResult result;
  result.model_kind = choice_name(model_kind);
  result.device = backend.name();
  result.feeder = feeder_name(train_config, backend);
  result.batch = batch;
  result.steps = steps;
  result.classes = classes;
  result.parameters = model->parameter_count();
  result.nchw16c = model->nchw16c_activations();
  // A few steps first: first-touch page faults, thread pool start-up, GPU clocks and autotuning.
  result.warmup_steps = std::clamp(steps / 10, 2, 10);
  for (int i = 0; i < result.warmup_steps; ++i) step();
  backend.synchronize();
  if (profile) backend.profiler_start();
  const auto start = std::chrono::steady_clock::now();
  {
    const ScopedRange range(backend, "timed steps");
    for (int i = 0; i < steps; ++i) step();
    backend.synchronize();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (profile) {
    backend.profiler_stop();
    result.profile = backend.range_times();
  }
  result.samples_per_second = static_cast<double>(steps) * batch / result.seconds;
  result.ms_per_step = 1000.0 * result.seconds / steps;
  result.epoch_seconds = static_cast<double>(kBalancedTrainSamples / batch) * result.seconds /
                         static_cast<double>(steps);
  result.peak_memory_bytes = backend.memory_stats().peak;
  result.graphs = runner.graph_counts();
  spdlog::info(
      "bench {} on {} ({} feeder): batch {}, {} steps (+{} warm-up): {:.0f} samples/s, {:.2f} "
      "ms/step",
      result.model_kind, result.device, result.feeder, batch, steps, result.warmup_steps,
      result.samples_per_second, result.ms_per_step);
  return result;
}

Dataset load_bench_data(const std::filesystem::path& dir) {
  DataConfig config;
  config.dataset = "emnist-bymerge";
  config.split = SplitKind::holdout;
  config.dir = dir.string();
  return load_dataset(config);
}

std::string bench_report(const BenchResult& r, Precision precision, bool real_images) {
  // On the CPU, which vector instructions the engine's own loops run (cpu_info).
  const std::string threads =
      r.device == "cpu" ? fmt::format("{}, loops {}", omp_get_max_threads(), cpu_info().loops)
                        : std::to_string(omp_get_max_threads());
  std::string report = fmt::format(
      "bench: emnist {}, device {} ({}), threads {}, feeder {}, model {} ({} parameters{}), "
      "batch {}, {}\n"
      "training samples/s: {:.1f}\n"
      "time per step: {:.3f} ms ({} timed steps after {} warm-up)\n"
      "epoch time ({} samples): {:.2f} s\n"
      "peak engine memory: {:.1f} MiB\n"
      "cuda graphs: {} captured, {} steps replayed, {} failed captures\n",
      EMNIST_VERSION, r.device, choice_name(precision), threads, r.feeder, r.model_kind,
      r.parameters, r.nchw16c ? ", activations nchw16c" : "", r.batch,
      real_images ? "real images" : "random inputs", r.samples_per_second, r.ms_per_step, r.steps,
      r.warmup_steps, kBalancedTrainSamples, r.epoch_seconds,
      static_cast<double>(r.peak_memory_bytes) / (1024.0 * 1024.0), r.graphs.captures,
      r.graphs.replays, r.graphs.failed_captures);
  if (r.profile.empty()) return report;
  // The outermost range is the timed steps; every figure is per step and against that whole.
  const double total = r.profile.front().seconds;
  report +=
      "profile (host clock; ms per step, share of the timed steps; nested ranges indented):\n";
  for (const RangeTime& t : r.profile) {
    const std::string name = std::string(static_cast<size_t>(2 * t.depth), ' ') + t.name;
    report += fmt::format("  {:<40} {:9.3f} {:6.1f}%\n", name, 1000.0 * t.seconds / r.steps,
                          total > 0 ? 100.0 * t.seconds / total : 0.0);
  }
  return report;
}

}  // namespace emnist
