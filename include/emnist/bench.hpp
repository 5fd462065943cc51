#pragma once
// Training throughput of a reference model (DESIGN.md "Reference models", and the ResNet) on one
// backend: whole training steps (batch gathering and upload included), warm-up steps excluded from
// the timing.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/choices.hpp"
#include "emnist/data.hpp"
#include "emnist/metrics.hpp"

namespace emnist {

struct BenchResult {
  std::string model_kind, device, feeder;
  int batch = 0, steps = 0, warmup_steps = 0;
  int classes = 0;
  int64_t parameters = 0;
  bool nchw16c = false;  // the model's activations in that layout (Model::nchw16c_activations)
  double seconds = 0;    // the timed steps
  double samples_per_second = 0;
  double ms_per_step = 0;
  // An EMNIST Balanced training epoch (112,800 samples, the last partial batch dropped) at the
  // measured time per step.
  double epoch_seconds = 0;
  size_t peak_memory_bytes = 0;    // the backend's own allocations (MemoryStats::peak)
  GraphCounts graphs;              // whether the timed steps were replays of a captured step
  std::vector<RangeTime> profile;  // with `profile`, where the backend times its own ranges (CPU)
};

constexpr int64_t kBalancedTrainSamples = 112800;

// model_kind: mlp, cnn or resnet (the defaults of its kind: the reference models, and
// configs/resnet.toml's network). With data, batches cycle through its training images (its test
// images when it has none) and classes are its classes; without, random images of 28x28 and 47
// classes (as EMNIST Balanced). With `profile`, the timed steps run between
// Backend::profiler_start and profiler_stop, so a profiler that waits for that window sees only
// the steady state, and the result keeps the backend's own range times (the CPU's). feeder:
// train.feeder's values (auto: the one training would use).
BenchResult bench(Backend& backend, ModelKind model_kind, int batch, int steps, const Dataset* data,
                  bool profile = false, FeederChoice feeder = FeederChoice::automatic);

// `emnist bench --data DIR`: the real images the README's throughput figures use (the ByMerge
// test split as a holdout corpus).
Dataset load_bench_data(const std::filesystem::path& dir);
// What `emnist bench` prints: the setting (version, device and precision, threads, feeder, model,
// batch, input), then one figure a line (tools/gpu-check.sh reads these lines), then the profile
// if there is one: each range's milliseconds per step and share of the timed steps.
std::string bench_report(const BenchResult& result, Precision precision, bool real_images);

}  // namespace emnist
