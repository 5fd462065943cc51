// The CPU ops' loops run compiled for AVX-512, AVX2 or plain x86-64, whichever is the widest the
// CPU has (cpu/cpu_simd.hpp), and every level gives the baseline's bits: a model trained on one
// CPU is the model trained on another. Each level this machine has is compared with the baseline.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/cpu_reduce.hpp"
#include "cpu/cpu_simd.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"
#include "emnist/element_math.hpp"

namespace emnist::test {
namespace {

using cpu::SimdLevel;

// The CPU's flags as the kernel reports them (/proc/cpuinfo's first "flags" line), each
// surrounded by spaces.
std::string cpu_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line.substr(line.find(':') + 1) + " ";
  }
  return "";
}

bool has_flags(const std::string& flags, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (flags.find(std::string(" ") + name + " ") == std::string::npos) return false;
  }
  return true;
}

// The levels this machine can run, the baseline first.
std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> levels{SimdLevel::baseline};
  if (cpu::cpu_simd_level() >= SimdLevel::avx2) levels.push_back(SimdLevel::avx2);
  if (cpu::cpu_simd_level() >= SimdLevel::avx512) levels.push_back(SimdLevel::avx512);
  return levels;
}

// Every output of the ops whose loops parallel_ranges runs (batch norm in all its forms, a residual
// block's tail among them, activations, dropout, optimizer updates, pooling, gathering and
// augmenting a batch, regularisation, a linear layer's bias), on shapes whose lengths are no
// multiple of a vector's (tails), some above the parallel grain.
std::vector<std::vector<float>> run_ops(Backend& be) {
  std::vector<std::vector<float>> out;
  const auto keep = [&](std::vector<float>& v) { out.push_back(v); };
  StepScalars scalars;
  scalars.step = 5;
  scalars.lr = 1e-3f;

  for (const bool spatial : {true, false}) {
    // [64, 8, 9, 9] (41,472 elements: parallel) or [37, 45].
    const int64_t n = spatial ? 64 : 37, c = spatial ? 8 : 45, hw = spatial ? 81 : 1;
    const size_t size = static_cast<size_t>(n * c * hw), cs = static_cast<size_t>(c);
    const auto t = [&](std::vector<float>& v) {
      return spatial ? view(v, {n, c, 9, 9}) : view(v, {n, c});
    };
    auto x = uniform(size, -3, 5, 301);
    auto dy = uniform(size, -1, 1, 302);
    auto gamma = uniform(cs, 0.5f, 1.5f, 303);
    auto beta = uniform(cs, -1, 1, 304);
    for (const float p : {0.0f, 0.25f}) {
      std::vector<float> y = nan_vector(size), activated = nan_vector(size);
      std::vector<float> mean = nan_vector(cs), invstd = nan_vector(cs);
      std::vector<float> rm(cs, 0.0f), rv(cs, 1.0f);
      BatchNormParams bp;
      bp.activate = true;
      bp.activation.kind = p == 0.0f ? ActivationKind::elu : ActivationKind::leaky_relu;
      bp.dropout = BatchNormDropout{p, 77, 3, &scalars, p == 0.0f ? Tensor{} : t(activated)};
      be.batchnorm_forward_train(t(x), view(gamma, {c}), view(beta, {c}), view(rm, {c}),
                                 view(rv, {c}), t(y), view(mean, {c}), view(invstd, {c}), bp);
      std::vector<float> dx = nan_vector(size), dgamma = nan_vector(cs), dbeta = nan_vector(cs);
      be.batchnorm_activation_backward(t(x), t(y), t(dy), view(gamma, {c}), view(beta, {c}),
                                       view(mean, {c}), view(invstd, {c}), t(dx), view(dgamma, {c}),
                                       view(dbeta, {c}), bp);
      for (auto* v : {&y, &mean, &invstd, &rm, &rv, &dx, &dgamma, &dbeta}) keep(*v);
      if (p > 0.0f) keep(activated);
      be.batchnorm_backward(t(x), t(dy), view(gamma, {c}), view(mean, {c}), view(invstd, {c}),
                            t(dx), view(dgamma, {c}), view(dbeta, {c}));
      for (auto* v : {&dx, &dgamma, &dbeta}) keep(*v);
      be.batchnorm_forward_infer(t(x), view(gamma, {c}), view(beta, {c}), view(rm, {c}),
                                 view(rv, {c}), t(y), BatchNormParams{});
      keep(y);
    }
    // A residual block's tail: the shortcut added before the activation, training and inference.
    {
      std::vector<float> y = nan_vector(size), mean = nan_vector(cs), invstd = nan_vector(cs);
      std::vector<float> rm(cs, 0.0f), rv(cs, 1.0f);
      BatchNormParams tail;
      tail.activate = true;
      tail.residual = t(dy);
      be.batchnorm_forward_train(t(x), view(gamma, {c}), view(beta, {c}), view(rm, {c}),
                                 view(rv, {c}), t(y), view(mean, {c}), view(invstd, {c}), tail);
      keep(y);
      be.batchnorm_forward_infer(t(x), view(gamma, {c}), view(beta, {c}), view(rm, {c}),
                                 view(rv, {c}), t(y), tail);
      keep(y);
    }
  }

  const int64_t n = 40001;
  auto a = uniform(static_cast<size_t>(n), -2, 2, 311);
  auto b = uniform(static_cast<size_t>(n), -2, 2, 312);
  std::vector<float> y = nan_vector(a.size());
  for (const ActivationKind kind :
       {ActivationKind::relu, ActivationKind::leaky_relu, ActivationKind::elu}) {
    Activation act;
    act.kind = kind;
    be.activation_forward(act, view(a, {n}), view(y, {n}));
    std::vector<float> dx = nan_vector(a.size());
    be.activation_backward(act, view(y, {n}), view(b, {n}), view(dx, {n}));
    keep(y);
    keep(dx);
  }
  be.dropout_forward(view(a, {n}), view(y, {n}), 0.3f, 91, 2, &scalars);
  keep(y);
  for (const OptimizerKind kind :
       {OptimizerKind::sgd, OptimizerKind::adam, OptimizerKind::adamw, OptimizerKind::rmsprop}) {
    OptimizerParams o;
    o.kind = kind;
    o.momentum = 0.9f;
    o.nesterov = true;
    o.weight_decay = 1e-2f;
    std::vector<float> params = a, s1(a.size(), 0.1f), s2(a.size(), 0.2f);
    be.optimizer_step(o, view(params, {n}), view(b, {n}), view(s1, {n}), view(s2, {n}), &scalars);
    keep(params);
    keep(s1);
    keep(s2);
  }

  // Pooling: [20, 16, 13, 13] (an odd trailing row and column) for max-pooling, then global
  // average pooling of the same input.
  {
    const int64_t pn = 20, pc = 16, ph = 13;
    const size_t size = static_cast<size_t>(pn * pc * ph * ph), pooled = size / ph / ph * 36;
    auto x = uniform(size, -1, 1, 321);
    auto dy = uniform(pooled, -1, 1, 322);
    std::vector<float> py = nan_vector(pooled), dx = nan_vector(size);
    std::vector<int32_t> argmax(pooled, -1);
    be.maxpool2d_forward(view(x, {pn, pc, ph, ph}), view(py, {pn, pc, 6, 6}), argmax.data());
    be.maxpool2d_backward(view(dy, {pn, pc, 6, 6}), argmax.data(), view(dx, {pn, pc, ph, ph}));
    keep(py);
    keep(dx);
    std::vector<float> mean = nan_vector(static_cast<size_t>(pn * pc));
    be.global_avgpool_forward(view(x, {pn, pc, ph, ph}), view(mean, {pn, pc}));
    be.global_avgpool_backward(view(mean, {pn, pc}), view(dx, {pn, pc, ph, ph}));
    keep(mean);
    keep(dx);
  }

  // A batch of 64 28x28 images gathered plainly and with every augmentation.
  {
    const int64_t count = 100, pixels = 28 * 28, batch = 64;
    std::vector<uint8_t> images(static_cast<size_t>(count * pixels));
    for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>((i * 37) % 251);
    std::vector<int32_t> labels(static_cast<size_t>(count)),
        batch_labels(static_cast<size_t>(batch));
    std::vector<int64_t> rows(static_cast<size_t>(batch));
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i] = static_cast<int64_t>((i * 7) % count);
      labels[i] = static_cast<int32_t>(i % 47);
    }
    BatchAugment augment;
    augment.spec = math::AugmentSpec{0.1f, 0.1f, 0.1f, 2.0f, 1.5f, 99};
    augment.epoch = 3;
    augment.ids = rows.data();
    augment.rows = augment.cols = 28;
    for (const BatchAugment* with :
         {static_cast<const BatchAugment*>(nullptr), static_cast<const BatchAugment*>(&augment)}) {
      std::vector<float> images_out = nan_vector(static_cast<size_t>(batch * pixels));
      be.gather_batch(images.data(), labels.data(), count, rows.data(),
                      view(images_out, {batch, 1, 28, 28}), batch_labels.data(), with);
      keep(images_out);
    }
  }

  // L1 and L2 onto a gradient, with the penalty; a linear layer with its bias.
  {
    std::vector<float> grads = b, penalty(1, -1.0f);
    be.regularize(view(a, {n}), view(grads, {n}), 1e-4f, 1e-3f, penalty.data());
    keep(grads);
    keep(penalty);
    const int64_t batch = 50, in = 30, units = 70;
    auto x = uniform(static_cast<size_t>(batch * in), -1, 1, 331);
    auto w = uniform(static_cast<size_t>(units * in), -1, 1, 332);
    auto bias = uniform(static_cast<size_t>(units), -1, 1, 333);
    auto dy = uniform(static_cast<size_t>(batch * units), -1, 1, 334);
    std::vector<float> ly = nan_vector(dy.size()), dx = nan_vector(x.size());
    std::vector<float> dw = nan_vector(w.size()), db = nan_vector(bias.size());
    be.linear_forward(view(x, {batch, in}), view(w, {units, in}), view(bias, {units}),
                      view(ly, {batch, units}));
    be.linear_backward(view(x, {batch, in}), view(w, {units, in}), view(dy, {batch, units}),
                       view(dx, {batch, in}), view(dw, {units, in}), view(db, {units}));
    for (auto* v : {&ly, &dx, &dw, &db}) keep(*v);
  }
  return out;
}

// The outputs of the ops' nchw16c paths: batch norm in training with an activation and as a
// residual block's tail, inference, backward with the activation and without, global average
// pooling and max-pooling (into either layout), on shapes whose planes (16, 35, 30 and 81
// positions) leave every remainder by the four accumulators of the 16-lane sums, two below the
// parallel grain and two above it.
std::vector<std::vector<float>> run_nchw16c_ops(Backend& be) {
  std::vector<std::vector<float>> out;
  const auto keep = [&](const std::vector<float>& v) { out.push_back(v); };
  struct Dims {
    int64_t n, c, h, w;
  };
  uint32_t seed = 400;
  for (const Dims d :
       {Dims{2, 16, 4, 4}, Dims{3, 16, 5, 7}, Dims{24, 48, 5, 6}, Dims{64, 32, 9, 9}}) {
    seed += 10;
    const size_t size = static_cast<size_t>(d.n * d.c * d.h * d.w), cs = static_cast<size_t>(d.c);
    // Random values read as blocks: no plain tensor to reorder from.
    const auto t = [&](std::vector<float>& v) { return nchw16c_view(v, {d.n, d.c, d.h, d.w}); };
    const auto vec = [&](std::vector<float>& v) { return view(v, {d.c}); };
    auto x = uniform(size, -3, 5, seed);
    auto dy = uniform(size, -1, 1, seed + 1);
    auto residual = uniform(size, -2, 2, seed + 2);
    auto gamma = uniform(cs, 0.5f, 1.5f, seed + 3);
    auto beta = uniform(cs, -1, 1, seed + 4);
    for (const ActivationKind kind : {ActivationKind::relu, ActivationKind::elu}) {
      BatchNormParams p;
      p.activate = true;
      p.activation.kind = kind;
      std::vector<float> y = nan_vector(size), mean = nan_vector(cs), invstd = nan_vector(cs);
      std::vector<float> rm(cs, 0.0f), rv(cs, 1.0f);
      be.batchnorm_forward_train(t(x), vec(gamma), vec(beta), vec(rm), vec(rv), t(y), vec(mean),
                                 vec(invstd), p);
      for (auto* v : {&y, &mean, &invstd, &rm, &rv}) keep(*v);
      std::vector<float> dx = nan_vector(size), dgamma = nan_vector(cs), dbeta = nan_vector(cs);
      be.batchnorm_activation_backward(t(x), t(y), t(dy), vec(gamma), vec(beta), vec(mean),
                                       vec(invstd), t(dx), vec(dgamma), vec(dbeta), p);
      for (auto* v : {&dx, &dgamma, &dbeta}) keep(*v);
      dx = nan_vector(size);
      dgamma = nan_vector(cs);
      dbeta = nan_vector(cs);
      be.batchnorm_backward(t(x), t(dy), vec(gamma), vec(mean), vec(invstd), t(dx), vec(dgamma),
                            vec(dbeta));
      for (auto* v : {&dx, &dgamma, &dbeta}) keep(*v);
      y = nan_vector(size);
      be.batchnorm_forward_infer(t(x), vec(gamma), vec(beta), vec(rm), vec(rv), t(y), p);
      keep(y);
    }
    // A residual block's tail: the shortcut added before the activation.
    {
      BatchNormParams tail;
      tail.activate = true;
      tail.residual = t(residual);
      std::vector<float> y = nan_vector(size), mean = nan_vector(cs), invstd = nan_vector(cs);
      std::vector<float> rm(cs, 0.0f), rv(cs, 1.0f);
      be.batchnorm_forward_train(t(x), vec(gamma), vec(beta), vec(rm), vec(rv), t(y), vec(mean),
                                 vec(invstd), tail);
      for (auto* v : {&y, &mean, &invstd, &rm, &rv}) keep(*v);
      y = nan_vector(size);
      be.batchnorm_forward_infer(t(x), vec(gamma), vec(beta), vec(rm), vec(rv), t(y), tail);
      keep(y);
    }
    {
      std::vector<float> pooled = nan_vector(static_cast<size_t>(d.n * d.c)), dx = nan_vector(size);
      be.global_avgpool_forward(t(x), view(pooled, {d.n, d.c}));
      auto dpooled = uniform(pooled.size(), -1, 1, seed + 5);
      be.global_avgpool_backward(view(dpooled, {d.n, d.c}), t(dx));
      keep(pooled);
      keep(dx);
    }
    for (const bool pooled_nchw16c : {true, false}) {
      const int64_t ho = d.h / 2, wo = d.w / 2;
      const size_t half = static_cast<size_t>(d.n * d.c * ho * wo);
      std::vector<float> pooled = nan_vector(half), dx = nan_vector(size);
      std::vector<int32_t> argmax(half, -1);
      auto dpooled = uniform(half, -1, 1, seed + 6);
      const auto pooled_view = [&](std::vector<float>& v) {
        return pooled_nchw16c ? nchw16c_view(v, {d.n, d.c, ho, wo}) : view(v, {d.n, d.c, ho, wo});
      };
      be.maxpool2d_forward(t(x), pooled_view(pooled), argmax.data());
      be.maxpool2d_backward(pooled_view(dpooled), argmax.data(), t(dx));
      keep(pooled);
      keep(std::vector<float>(argmax.begin(), argmax.end()));
      keep(dx);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("cpu simd level is the widest the CPU reports", "[cpu][simd]") {
  const std::string flags = cpu_flags();
  if (flags.empty()) {
    WARN("no /proc/cpuinfo flags here: the level's detection is not checked");
    return;
  }
  SimdLevel expected = SimdLevel::baseline;
#if defined(__x86_64__)
  if (has_flags(flags, {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}))
    expected = SimdLevel::avx512;
  else if (has_flags(flags, {"avx2", "fma", "bmi1", "bmi2"}))
    expected = SimdLevel::avx2;
#endif
  CAPTURE(cpu::simd_level_name(expected));
  CHECK(cpu::cpu_simd_level() == expected);
  CHECK(cpu::simd_level() == expected);
  {
    const cpu::SimdLimit limit(SimdLevel::baseline);
    CHECK(cpu::simd_level() == SimdLevel::baseline);
  }
  CHECK(cpu::simd_level() == expected);
}

TEST_CASE("cpu double sums keep their order at every simd level", "[cpu][simd][determinism]") {
  // Magnitudes 1e-3 to 1e15: a reordered sum gives other bits.
  std::vector<double> terms(1003);
  for (size_t i = 0; i < terms.size(); ++i)
    terms[i] = (i % 7 == 0 ? 1e15 : 1e-3 * static_cast<double>(i % 997)) * (i % 2 ? -0.5 : 1.0);
  const auto term = [&](int64_t i) { return terms[static_cast<size_t>(i)]; };
  const auto squared = [&](int64_t i) { return term(i) * term(i); };
  const auto n = static_cast<int64_t>(terms.size());
  double base_a = 0.0, base_b = 0.0;
  cpu::sum2_double(n, term, squared, base_a, base_b);
  for (const SimdLevel level : levels_here()) {
    CAPTURE(cpu::simd_level_name(level));
    double a = -1.0, b = -1.0;
    cpu::at_simd_level(level, [&] { cpu::sum2_double(n, term, squared, a, b); });
    CHECK(a == base_a);
    CHECK(b == base_b);
  }
}

// run() at every level this CPU has, each result the baseline's bits; the baseline's outputs all
// written and finite (NaN-poisoned outputs left unwritten at every level would compare equal).
template <class Run>
void expect_baseline_bits_at_every_level(Run run) {
  std::vector<std::vector<float>> baseline;
  {
    const cpu::SimdLimit limit(SimdLevel::baseline);
    baseline = run();
  }
  for (size_t i = 0; i < baseline.size(); ++i) {
    CAPTURE(i);
    REQUIRE(count_non_finite(baseline[i]) == 0);
  }
  const std::vector<SimdLevel> levels = levels_here();
  if (levels.size() == 1) WARN("this CPU has no AVX2: only the baseline ran");
  for (const SimdLevel level : levels) {
    CAPTURE(cpu::simd_level_name(level));
    const cpu::SimdLimit limit(level);
    REQUIRE(cpu::simd_level() == level);
    const std::vector<std::vector<float>> results = run();
    REQUIRE(results.size() == baseline.size());
    for (size_t i = 0; i < results.size(); ++i) {
      CAPTURE(i);
      CHECK(bit_identical(results[i], baseline[i]));
    }
  }
}

TEST_CASE("cpu ops give the baseline's bits at every simd level", "[cpu][simd][determinism]") {
  auto be = make_cpu_backend();
  expect_baseline_bits_at_every_level([&] { return run_ops(*be); });
}

TEST_CASE("cpu 16-lane double sums keep their order at every simd level",
          "[cpu][simd][determinism]") {
  // Lane l's term i at 16 * i + l, as in an nchw16c block; 1003 terms leave a tail of 3.
  const int64_t n = 1003;
  std::vector<double> terms(static_cast<size_t>(16 * n));
  for (size_t k = 0; k < terms.size(); ++k) {
    const size_t i = k / 16, l = k % 16;
    terms[k] = ((i + l) % 7 == 0 ? 1e15 : 1e-3 * static_cast<double>((i * 31 + l) % 997)) *
               ((i + l) % 2 ? -0.5 : 1.0);
  }
  const auto term = [&](int64_t i, int l) { return terms[static_cast<size_t>(16 * i + l)]; };
  const auto squared = [&](int64_t i, int l) { return term(i, l) * term(i, l); };
  double base_a[16], base_b[16];
  cpu::sum2_double_x16(n, term, squared, base_a, base_b);
  for (const SimdLevel level : levels_here()) {
    CAPTURE(cpu::simd_level_name(level));
    double a[16], b[16];
    cpu::at_simd_level(level, [&] { cpu::sum2_double_x16(n, term, squared, a, b); });
    for (int l = 0; l < 16; ++l) {
      CAPTURE(l);
      CHECK(a[l] == base_a[l]);
      CHECK(b[l] == base_b[l]);
    }
  }
}

TEST_CASE("cpu nchw16c ops give the baseline's bits at every simd level",
          "[cpu][simd][determinism][nchw16c]") {
  auto be = make_cpu_backend();
  expect_baseline_bits_at_every_level([&] { return run_nchw16c_ops(*be); });
}

}  // namespace emnist::test
