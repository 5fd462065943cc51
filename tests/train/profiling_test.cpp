// Profiling hooks: every training step is a named range holding one range per layer and direction
// (named as the state dict names the layers), the loss and the optimizer; ranges always balance,
// bench --profile opens the profiler's window around the timed steps only (and on the CPU reports
// the ranges' times), and the backend counts its own memory.
#include <algorithm>
#include <catch2/catch.hpp>

#include "emnist/bench.hpp"
#include "emnist/model.hpp"
#include "support/train_fixtures.hpp"
#include "train/step_runner.hpp"

using namespace emnist;

namespace {

// Checks that pushes and pops pair up, and returns the names at nesting depth `depth` (0: top).
std::vector<std::string> ranges_at(const std::vector<std::string>& trace, int depth) {
  std::vector<std::string> out;
  int level = 0;
  for (const std::string& r : trace) {
    if (r == "-") {
      REQUIRE(level > 0);
      --level;
    } else if (r[0] == '+') {
      if (level == depth) out.push_back(r.substr(1));
      ++level;
    }
  }
  CHECK(level == 0);
  return out;
}

}  // namespace

TEST_CASE("profiling: a training step is one range with a range per layer and direction",
          "[profiling]") {
  train_test::CountingBackend backend;
  TrainConfig tc;
  tc.batch_size = 4;
  auto model = make_model(backend, train_test::small_mlp(), 28, 28, 10, 4, 1);
  model->initialize(1);
  StepRunner runner(*model, tc);
  backend.zero(model->input(4).data, sizeof(float) * 4 * 784);
  backend.zero(model->labels(), sizeof(int32_t) * 4);
  backend.ranges.clear();
  runner.train_batch(4, 1e-3f);
  CHECK(ranges_at(backend.ranges, 0) == std::vector<std::string>{"train step"});
  const auto layers = ranges_at(backend.ranges, 1);
  // small_mlp: [linear, batchnorm, relu] x 3, then the output linear: 10 layers.
  REQUIRE(model->layers().size() == 10);
  CHECK(layers.front() == "layers.0 linear forward");
  CHECK(std::count(layers.begin(), layers.end(), "layers.9 linear forward") == 1);
  CHECK(std::count(layers.begin(), layers.end(), "layers.9 linear backward") == 1);
  CHECK(std::count(layers.begin(), layers.end(), "loss and metrics") == 1);
  CHECK(layers.back() == "optimizer");
  CHECK(layers[layers.size() - 2] == "layers.0 linear backward");
  // Every forward before every backward.
  const auto first_backward = std::find_if(layers.begin(), layers.end(), [](const std::string& s) {
    return s.find("backward") != std::string::npos;
  });
  CHECK(std::count_if(layers.begin(), first_backward, [](const std::string& s) {
          return s.find("forward") != std::string::npos;
        }) == 10);
  CHECK(*first_backward == "layers.9 linear backward");
  CHECK(*(first_backward - 1) == "loss and metrics");

  backend.ranges.clear();
  runner.eval_batch(4);
  CHECK(ranges_at(backend.ranges, 0) == std::vector<std::string>{"eval step"});
  const auto eval_ranges = ranges_at(backend.ranges, 1);
  CHECK(eval_ranges.size() == 11);
  CHECK(eval_ranges.back() == "loss and metrics");
}

TEST_CASE("profiling: bench --profile opens the profiler's window around the timed steps only",
          "[profiling][bench]") {
  train_test::CountingBackend backend;
  const BenchResult r = bench(backend, ModelKind::mlp, 16, 3, nullptr, true);
  const auto& t = backend.ranges;
  const auto start = std::find(t.begin(), t.end(), "profiler start");
  const auto stop = std::find(t.begin(), t.end(), "profiler stop");
  REQUIRE(start != t.end());
  REQUIRE(stop != t.end());
  // Warm-up steps before the window, exactly the timed steps inside it.
  CHECK(std::count(t.begin(), start, "+train step") == r.warmup_steps);
  CHECK(std::count(start, stop, "+train step") == 3);
  CHECK(std::count(stop, t.end(), "+train step") == 0);
  CHECK(*std::next(start) == "+timed steps");

  train_test::CountingBackend quiet;
  bench(quiet, ModelKind::mlp, 16, 2, nullptr, false);
  CHECK(std::count(quiet.ranges.begin(), quiet.ranges.end(), "profiler start") == 0);
}

TEST_CASE("profiling: the CPU backend counts its own memory, and bench reports the peak",
          "[profiling][bench]") {
  auto backend = make_cpu_backend();
  CHECK(backend->memory_stats().in_use == 0);
  void* a = backend->allocate(1000);
  void* b = backend->allocate(64);
  CHECK(backend->memory_stats().in_use == 1024 + 64);  // rounded to 64-byte lines
  backend->release(a);
  CHECK(backend->memory_stats().in_use == 64);
  CHECK(backend->memory_stats().peak == 1024 + 64);
  CHECK(backend->memory_stats().allocations == 2);
  backend->release(b);
  CHECK(backend->memory_stats().in_use == 0);

  const BenchResult r = bench(*backend, ModelKind::mlp, 32, 2, nullptr);
  // At least the parameters, their gradients and Adam's two state buffers.
  CHECK(r.peak_memory_bytes >= static_cast<size_t>(r.parameters) * 4 * sizeof(float));
  CHECK(r.epoch_seconds == Approx(static_cast<double>(kBalancedTrainSamples / 32) * r.seconds / 2));
}

TEST_CASE("profiling: bench --profile on the CPU times every range of the timed steps",
          "[profiling][bench]") {
  auto backend = make_cpu_backend();
  // Ranges outside the profiler's window are not counted; the window starts empty.
  backend->range_push("before");
  backend->range_pop();
  CHECK(backend->range_times().empty());

  const int steps = 3;
  const BenchResult r = bench(*backend, ModelKind::mlp, 32, steps, nullptr, true);
  REQUIRE(r.profile.size() > 3);
  CHECK(r.profile[0].name == "timed steps");
  CHECK(r.profile[0].depth == 0);
  CHECK(r.profile[0].count == 1);
  // Within 1% of the bench's own clock, which brackets the same steps.
  CHECK(r.profile[0].seconds == Approx(r.seconds).epsilon(0.01));
  auto find = [&](const std::string& name) {
    const auto it = std::find_if(r.profile.begin(), r.profile.end(),
                                 [&](const RangeTime& t) { return t.name == name; });
    REQUIRE(it != r.profile.end());
    return *it;
  };
  CHECK(find("train step").count == steps);
  CHECK(find("train step").depth == 1);
  CHECK(find("layers.0 linear forward").count == steps);
  CHECK(find("layers.0 linear forward").depth == 2);
  CHECK(find("optimizer").count == steps);
  // A step's parts take no longer than the step.
  double parts = 0;
  for (const RangeTime& t : r.profile) {
    CHECK(t.seconds >= 0);
    if (t.depth == 2) parts += t.seconds;
  }
  CHECK(parts <= find("train step").seconds);
  CHECK(parts > 0);

  const std::string report = bench_report(r, Precision::fp32, false);
  CHECK(report.find("profile (host clock") != std::string::npos);
  CHECK(report.find("\n      layers.0 linear forward ") != std::string::npos);
  // Not profiled: no table.
  const BenchResult plain = bench(*backend, ModelKind::mlp, 32, 2, nullptr, false);
  CHECK(plain.profile.empty());
  CHECK(bench_report(plain, Precision::fp32, false).find("profile") == std::string::npos);
}

TEST_CASE("profiling: bench's report says when the activations are nchw16c", "[profiling][bench]") {
  BenchResult r;
  r.device = "cpu";
  r.model_kind = "resnet";
  r.parameters = 7;
  CHECK(bench_report(r, Precision::fp32, false).find("(7 parameters), batch") != std::string::npos);
  r.nchw16c = true;
  CHECK(
      bench_report(r, Precision::fp32, false).find("(7 parameters, activations nchw16c), batch") !=
      std::string::npos);
}
