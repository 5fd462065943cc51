#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "emnist/model.hpp"
#include "support/train_fixtures.hpp"
#include "train/batches.hpp"
#include "train/evaluate.hpp"
#include "train/step_runner.hpp"

using namespace emnist;

namespace {

int64_t conv_weights(int64_t in, int64_t out, int64_t k) { return out * in * k * k; }
int64_t batch_norm(int64_t channels) { return 2 * channels; }  // gamma and beta
int64_t linear(int64_t in, int64_t out, bool bias) { return out * in + (bias ? out : 0); }

std::vector<std::string> kinds(const Model& m) {
  std::vector<std::string> out;
  for (const auto& layer : m.layers()) out.push_back(layer->kind());
  return out;
}

}  // namespace

TEST_CASE("model: the reference CNN has the documented layers and about 0.88 M parameters",
          "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;  // every default: the reference CNN
  config.kind = ModelKind::cnn;
  auto model = make_model(*backend, config, 28, 28, 47, 4, 1);

  // Convolutions without bias (batch norm follows), 28 -> 14 -> 7 after two pools, 64 * 7 * 7
  // features into the 256-wide head (no bias: batch norm follows), then 47 classes with bias.
  const int64_t expected = conv_weights(1, 32, 3) + batch_norm(32) + conv_weights(32, 32, 3) +
                           batch_norm(32) + conv_weights(32, 64, 3) + batch_norm(64) +
                           conv_weights(64, 64, 3) + batch_norm(64) +
                           linear(64 * 7 * 7, 256, false) + batch_norm(256) + linear(256, 47, true);
  CHECK(model->parameter_count() == expected);
  CHECK(expected > 870000);
  CHECK(expected < 890000);
  CHECK(model->weight_count() == conv_weights(1, 32, 3) + conv_weights(32, 32, 3) +
                                     conv_weights(32, 64, 3) + conv_weights(64, 64, 3) +
                                     64 * 7 * 7 * 256 + 256 * 47);
  CHECK(model->buffer_count() == 2 * (32 + 32 + 64 + 64 + 256));
  const std::vector<std::string> want{
      "conv2d",  "batchnorm2d", "relu",        "conv2d", "batchnorm2d", "relu",  "maxpool2x2",
      "conv2d",  "batchnorm2d", "relu",        "conv2d", "batchnorm2d", "relu",  "maxpool2x2",
      "flatten", "linear",      "batchnorm1d", "relu",   "dropout",     "linear"};
  CHECK(kinds(*model) == want);
  CHECK(model->input_shape() == SampleShape::image(1, 28, 28));
  CHECK(model->num_classes() == 47);
}

TEST_CASE("model: the reference MLP", "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;
  config.kind = ModelKind::mlp;
  auto model = make_model(*backend, config, 28, 28, 47, 4, 1);
  const int64_t expected = linear(784, 512, false) + batch_norm(512) + linear(512, 256, false) +
                           batch_norm(256) + linear(256, 128, false) + batch_norm(128) +
                           linear(128, 47, true);
  CHECK(model->parameter_count() == expected);
  CHECK(model->input_shape() == SampleShape::features(784));
  const std::vector<std::string> want{
      "linear",  "batchnorm1d", "relu",        "dropout", "linear",  "batchnorm1d", "relu",
      "dropout", "linear",      "batchnorm1d", "relu",    "dropout", "linear"};
  CHECK(kinds(*model) == want);

  // Without batch norm every Linear has its bias; without dropout no Dropout layer.
  config.batch_norm = false;
  config.dropout = 0.0;
  auto plain = make_model(*backend, config, 28, 28, 10, 4, 1);
  CHECK(plain->parameter_count() == linear(784, 512, true) + linear(512, 256, true) +
                                        linear(256, 128, true) + linear(128, 10, true));
  CHECK(kinds(*plain) ==
        std::vector<std::string>{"linear", "relu", "linear", "relu", "linear", "relu", "linear"});
}

TEST_CASE("model: the default ResNet has the documented layers, names and about 0.70 M parameters",
          "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;
  config.kind = ModelKind::resnet;  // stem 32, stages [32, 64, 128] x [2, 2, 2], strides [1, 2, 2]
  auto model = make_model(*backend, config, 28, 28, 47, 4, 1);

  // A basic block: two 3x3 convolutions and two batch norms, and a 1x1 projection with its batch
  // norm where the width or the map changes (the first block of stages 2 and 3).
  auto block = [](int64_t in, int64_t out) {
    const int64_t body =
        conv_weights(in, out, 3) + batch_norm(out) + conv_weights(out, out, 3) + batch_norm(out);
    return body + (in != out ? conv_weights(in, out, 1) + batch_norm(out) : 0);
  };
  const int64_t expected = conv_weights(1, 32, 3) + batch_norm(32) + 2 * block(32, 32) +
                           block(32, 64) + block(64, 64) + block(64, 128) + block(128, 128) +
                           linear(128, 47, true);
  CHECK(model->parameter_count() == expected);
  CHECK(expected > 690000);
  CHECK(expected < 710000);
  const std::vector<std::string> want{
      "conv2d",         "batchnorm2d",    "relu",           "residual_block", "residual_block",
      "residual_block", "residual_block", "residual_block", "residual_block", "global_avgpool",
      "flatten",        "dropout",        "linear"};
  CHECK(kinds(*model) == want);
  // 28 -> 28 -> 14 -> 7, then 128 means.
  CHECK(model->layers()[4]->output_shape() == SampleShape::image(32, 28, 28));
  CHECK(model->layers()[6]->output_shape() == SampleShape::image(64, 14, 14));
  CHECK(model->layers()[8]->output_shape() == SampleShape::image(128, 7, 7));
  CHECK(model->layers()[9]->output_shape() == SampleShape::image(128, 1, 1));
  CHECK(model->num_classes() == 47);

  // PyTorch's names: the blocks' parts under body.<j> and shortcut.<j>, a projection only where the
  // shape changes.
  std::set<std::string> names;
  for (const NamedTensor& t : model->named_tensors()) names.insert(t.name);
  for (const char* name :
       {"layers.0.weight", "layers.1.running_var", "layers.3.body.0.weight",
        "layers.3.body.1.weight", "layers.3.body.3.weight", "layers.3.body.4.running_mean",
        "layers.5.shortcut.0.weight", "layers.5.shortcut.1.bias", "layers.7.shortcut.1.running_var",
        "layers.12.weight", "layers.12.bias"})
    CHECK(names.count(name) == 1);
  for (const char* name : {"layers.3.shortcut.0.weight", "layers.6.shortcut.0.weight"})
    CHECK(names.count(name) == 0);
  // Stage 2's projection: 1x1, 32 -> 64.
  for (const NamedTensor& t : model->named_tensors())
    if (t.name == "layers.5.shortcut.0.weight")
      CHECK(t.shape == std::vector<int64_t>{64, 32, 1, 1});

  // The head may have hidden layers, as the CNN's; a dropout of 0 leaves its layer out.
  config.hidden = std::vector<int>{64};
  config.dropout = 0.0;
  auto headed = make_model(*backend, config, 28, 28, 10, 4, 1);
  const auto headed_kinds = kinds(*headed);
  CHECK(std::vector<std::string>(headed_kinds.end() - 6, headed_kinds.end()) ==
        std::vector<std::string>{"global_avgpool", "flatten", "linear", "batchnorm1d", "relu",
                                 "linear"});
}

TEST_CASE("model: weights form a prefix of the parameter buffer, then biases and batch norm",
          "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;
  config.kind = ModelKind::cnn;
  config.batch_norm = false;  // convolutions get biases, so both groups are mixed across layers
  config.hidden = {32, 16};
  auto model = make_model(*backend, config, 28, 28, 10, 2, 1);

  int64_t weights_end = 0, others_end = model->weight_count(), buffers = 0;
  std::set<std::string> names;
  for (const NamedTensor& t : model->named_tensors()) {
    names.insert(t.name);
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    const std::string suffix = t.name.substr(t.name.rfind('.') + 1);
    switch (t.group) {
      case ParamGroup::weight:
        CHECK(suffix == "weight");
        CHECK(t.shape.size() >= 2);  // matrices and kernels only
        CHECK(t.offset == weights_end);
        weights_end += numel;
        break;
      case ParamGroup::other:
        CHECK(t.offset == others_end);
        others_end += numel;
        break;
      case ParamGroup::buffer:
        CHECK(t.offset == buffers);
        buffers += numel;
        break;
    }
  }
  CHECK(weights_end == model->weight_count());
  CHECK(others_end == model->parameter_count());
  CHECK(names.count("layers.0.weight") == 1);
  CHECK(names.count("layers.0.bias") == 1);
  CHECK(model->weights().data == model->params().data);
  CHECK(model->weights().numel() == model->weight_count());
  CHECK(model->weight_grads().data == model->grads().data);
}

TEST_CASE("model: PyTorch's default initialisation, the same for the same seed", "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;
  config.kind = ModelKind::cnn;
  auto model = make_model(*backend, config, 28, 28, 47, 2, 7);
  model->initialize(7);
  const TensorMap state = model->state_dict();

  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases; fan_in = C*K*K or in_features.
  auto check_uniform = [&](const std::string& name, int64_t fan_in) {
    const HostTensor& t = state.at(name);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    double sum = 0, sq = 0, largest = 0;
    for (float v : t.values) {
      sum += v;
      sq += double{v} * v;
      largest = std::max(largest, std::fabs(double{v}));
    }
    const double n = static_cast<double>(t.values.size());
    INFO(name);
    CHECK(largest <= bound);
    CHECK(largest > 0.9 * bound);
    CHECK(std::fabs(sum / n) < 0.1 * bound);
    // The standard deviation of U(-b, b) is b / sqrt(3).
    CHECK(std::sqrt(sq / n) == Approx(bound / std::sqrt(3.0)).epsilon(0.1));
  };
  check_uniform("layers.0.weight", 1 * 3 * 3);
  check_uniform("layers.3.weight", 32 * 3 * 3);
  check_uniform("layers.15.weight", 64 * 7 * 7);
  check_uniform("layers.19.weight", 256);
  check_uniform("layers.19.bias", 256);
  for (const std::string bn : {"layers.1", "layers.16"}) {
    for (float v : state.at(bn + ".weight").values) CHECK(v == 1.0f);
    for (float v : state.at(bn + ".bias").values) CHECK(v == 0.0f);
    for (float v : state.at(bn + ".running_mean").values) CHECK(v == 0.0f);
    for (float v : state.at(bn + ".running_var").values) CHECK(v == 1.0f);
  }

  auto again = make_model(*backend, config, 28, 28, 47, 2, 7);
  again->initialize(7);
  const TensorMap same = again->state_dict();
  for (const auto& [name, t] : state) CHECK(same.at(name).values == t.values);
  again->initialize(8);
  CHECK(again->state_dict().at("layers.0.weight").values != state.at("layers.0.weight").values);
}

TEST_CASE("model: a configuration that cannot be built is a user error", "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig config;
  config.kind = ModelKind::cnn;
  config.conv = {{false, 4}, {true, 0}, {true, 0}, {true, 0}, {true, 0}, {true, 0}};
  REQUIRE_THROWS_WITH(make_model(*backend, config, 28, 28, 10, 2, 1),
                      Catch::Contains("model.conv") && Catch::Contains("pool"));
}

TEST_CASE("model: training steps and evaluation allocate nothing after construction", "[model]") {
  train_test::CountingBackend backend;
  const ImageSet images = train_test::synthetic_images(50, 4, 3, true);
  const Subset all = train_test::whole(images);
  for (ModelConfig config :
       {train_test::small_mlp(), train_test::small_cnn(), train_test::small_resnet()}) {
    config.dropout = 0.25;
    TrainConfig train;
    train.batch_size = 16;
    auto model = make_model(backend, config, 28, 28, 4, train.batch_size, 1);
    model->initialize(1);
    StepRunner runner(*model, train);
    BatchFeeder feeder(backend, train.batch_size, 28 * 28);
    const std::vector<int64_t> order = epoch_order(1, 0, all.size());
    const int64_t before = backend.allocations;
    for (int step = 0; step < 3; ++step) {
      feeder.load(model->batch(), all, order.data() + step * 16, 16);
      runner.train_batch(16, 1e-3f);
    }
    (void)runner.read_totals();
    const EvalResult result = evaluate(runner, feeder, all, true);  // 16, 16, 16, then 2
    CHECK(result.totals.samples == 50);
    CHECK(backend.allocations == before);
  }
}

TEST_CASE("model: batch norm with its activation and dropout inside gives the plain stack's bits",
          "[model]") {
  // The same network twice: conv, batch norm, activation, dropout, pool, linear, batch norm,
  // activation, dropout, linear; once as separate layers, once with the activation and the dropout
  // inside batch norm (as make_model builds the dense block; the convolution's dropout covers the
  // [N, C, H, W] path). On the CPU backend (its fused backward recomputes the activation from x)
  // and on a backend that takes the Backend's default backward (the separate ops, reading the
  // activated output the forward kept).
  auto cpu = make_cpu_backend();
  train_test::CountingBackend composing;
  for (Backend* backend : {static_cast<Backend*>(cpu.get()), static_cast<Backend*>(&composing)}) {
    CAPTURE(backend == &composing);
    const Activation a{ActivationKind::elu, 0.1f, 0.8f};
    auto build = [&](bool fused) {
      std::vector<std::unique_ptr<Layer>> layers;
      SampleShape shape = SampleShape::image(1, 8, 8);
      auto add = [&](std::unique_ptr<Layer> layer) {
        shape = layer->output_shape();
        layers.push_back(std::move(layer));
      };
      auto norm_activation_dropout = [&](float rate, uint64_t seed) {
        const auto dropout_layer = static_cast<uint32_t>(layers.size() + 2);
        BatchNormParams p;
        p.activate = fused;
        p.activation = a;
        if (fused) p.dropout = {rate, seed, dropout_layer, nullptr, {}};
        add(make_batchnorm(shape, p));
        add(fused ? make_fused_activation(shape, a) : make_activation(shape, a));
        add(fused ? make_fused_dropout(shape) : make_dropout(shape, rate, seed, dropout_layer));
      };
      add(make_conv2d(shape, 4, 3, false));
      norm_activation_dropout(0.4f, 11);
      add(make_maxpool2x2(shape));
      add(make_flatten(shape));
      add(make_linear(shape, 12, false));
      norm_activation_dropout(0.25f, 7);
      add(make_linear(shape, 5, true));
      auto model = std::make_unique<Model>(*backend, std::move(layers), 6);
      model->initialize(3);
      return model;
    };
    auto plain = build(false), fused = build(true);
    REQUIRE(kinds(*plain) == kinds(*fused));
    REQUIRE(plain->parameter_count() == fused->parameter_count());

    const int64_t n = 6;
    std::vector<float> x(static_cast<size_t>(n * 64));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) + 0.2f;
    auto logits_and_grads = [&](Model& m, Mode mode) {
      backend->copy_from_host(m.input(n).data, x.data(), sizeof(float) * x.size());
      StepScalars scalars;
      const StepContext ctx{mode, &scalars};
      m.forward(n, ctx);
      std::vector<float> out(static_cast<size_t>(n * 5));
      backend->copy_to_host(out.data(), m.logits(n).data, sizeof(float) * out.size());
      if (mode == Mode::train) {
        // d(loss)/d(logits): any fixed values.
        std::vector<float> dl(out.size());
        for (size_t i = 0; i < dl.size(); ++i) dl[i] = std::cos(0.5f * static_cast<float>(i));
        backend->copy_from_host(m.dlogits(n).data, dl.data(), sizeof(float) * dl.size());
        m.backward(n, ctx);
        std::vector<float> g(static_cast<size_t>(m.parameter_count()));
        backend->copy_to_host(g.data(), m.grads().data, sizeof(float) * g.size());
        out.insert(out.end(), g.begin(), g.end());
      }
      return out;
    };
    const auto train_plain = logits_and_grads(*plain, Mode::train);
    const auto train_fused = logits_and_grads(*fused, Mode::train);
    CHECK(train_plain == train_fused);
    // Some gradients are not zero: the comparison covers the backward pass.
    CHECK(std::count_if(train_fused.begin() + n * 5, train_fused.end(),
                        [](float v) { return v != 0.0f; }) > 10);
    CHECK(logits_and_grads(*plain, Mode::infer) == logits_and_grads(*fused, Mode::infer));
  }
}

namespace {

bool mentions_nchw16c(const Model& m) { return m.describe().find("nchw16c") != std::string::npos; }

// A ResNet of stem `stem` and two stages of one block each (strides 1 and 2), no head.
ModelConfig two_stage_resnet(int stem, int first, int second) {
  ModelConfig c = train_test::small_resnet();
  c.stem = stem;
  c.stages = {first, second};
  return c;
}

// Two training steps of 16 samples on the synthetic set (seed 1, Adam), then an evaluation batch:
// the two losses, then the evaluation's logits, then every parameter and buffer by name.
std::vector<float> train_two_steps(Backend& backend, const ModelConfig& config) {
  const ImageSet images = train_test::synthetic_images(40, 4, 3, true);
  const Subset all = train_test::whole(images);
  TrainConfig train;
  train.batch_size = 16;
  auto model = make_model(backend, config, 28, 28, 4, train.batch_size, 1);
  model->initialize(1);
  StepRunner runner(*model, train);
  BatchFeeder feeder(backend, train.batch_size, 28 * 28);
  const std::vector<int64_t> order = epoch_order(1, 0, all.size());
  std::vector<float> out;
  for (int step = 0; step < 2; ++step) {
    feeder.load(model->batch(), all, order.data() + step * 16, 16);
    runner.train_batch(16, 1e-3f);
    out.push_back(runner.read_last_loss());
  }
  feeder.load(model->batch(), all, order.data() + 32, 8);
  runner.eval_batch(8);
  std::vector<float> logits(8 * 4), probs(8 * 4);
  runner.read_outputs(8, logits.data(), probs.data());
  out.insert(out.end(), logits.begin(), logits.end());
  for (const auto& [name, t] : model->state_dict())
    out.insert(out.end(), t.values.begin(), t.values.end());
  return out;
}

// Which activations of `model` are nchw16c: "." plain, "b" nchw16c, input first.
std::string layouts(const Model& model) {
  std::string out;
  for (size_t i = 0; i <= model.layers().size(); ++i)
    out += model.activation_layout(i) == Layout::nchw16c ? 'b' : '.';
  return out;
}

// A CNN of one convolution of `first` channels, max-pooling, one of `second`, max-pooling, then
// a hidden layer of 32 with dropout.
ModelConfig two_conv_cnn(int first, int second) {
  ModelConfig c = train_test::small_cnn();
  c.conv = {{false, first}, {true, 0}, {false, second}, {true, 0}};
  c.hidden = {32};
  c.dropout = 0.25;
  return c;
}

}  // namespace

TEST_CASE("model: on the CPU activations take the nchw16c layout where widths and layers allow",
          "[model][nchw16c]") {
  auto backend = make_cpu_backend();
  REQUIRE(backend->nchw16c_activations());
  // Input [1, 28, 28] plain; layers: conv, batch norm (with the activation), its identity view,
  // then per block or pooling one activation; the last [C, 1, 1] or the flatten's input plain.
  ModelConfig resnet;
  resnet.kind = ModelKind::resnet;  // stem 32, stages [32, 64, 128]
  auto model = make_model(*backend, resnet, 28, 28, 47, 4, 1);
  CAPTURE(model->describe());
  CHECK(model->nchw16c_activations());
  CHECK(mentions_nchw16c(*model));
  // conv, bn, relu, 6 blocks: nchw16c; global pooling's [C, 1, 1], flatten, dropout, linear: plain.
  CHECK(layouts(*model) == ".bbbbbbbbb....");
  // The CNN (32, 32, pool, 64, 64, pool): every map but the input and the last pooling's output,
  // which the flatten reads in the plain layout.
  ModelConfig cnn;
  cnn.kind = ModelKind::cnn;
  auto cnn_model = make_model(*backend, cnn, 28, 28, 47, 4, 1);
  CAPTURE(cnn_model->describe());
  CHECK(layouts(*cnn_model).substr(0, 16) == ".bbbbbbbbbbbbb..");
  // Widths: only multiples of 16 (stem 24: its conv, batch norm and view stay plain).
  CHECK(layouts(*make_model(*backend, two_stage_resnet(24, 32, 32), 28, 28, 10, 4, 1)) ==
        "....bb...");
  CHECK(layouts(*make_model(*backend, two_stage_resnet(16, 16, 40), 28, 28, 10, 4, 1)) ==
        ".bbbb....");
  for (const ModelConfig& config : {two_stage_resnet(24, 24, 40), two_conv_cnn(8, 24)}) {
    auto other = make_model(*backend, config, 28, 28, 10, 4, 1);
    CAPTURE(other->describe());
    CHECK_FALSE(other->nchw16c_activations());
    CHECK_FALSE(mentions_nchw16c(*other));
  }
  ModelConfig mlp;
  mlp.kind = ModelKind::mlp;
  CHECK_FALSE(make_model(*backend, mlp, 28, 28, 47, 4, 1)->nchw16c_activations());
  // A backend that does not ask for it (the Backend's default).
  train_test::CountingBackend counting;
  REQUIRE_FALSE(counting.nchw16c_activations());
  CHECK_FALSE(make_model(counting, resnet, 28, 28, 47, 4, 1)->nchw16c_activations());
}

TEST_CASE("model: training in the nchw16c layout gives the plain layout's bits",
          "[model][nchw16c]") {
  // Each model on the CPU backend, which runs its maps nchw16c where it can, and on a backend that
  // forwards every op to a CPU backend but does not ask for nchw16c (so every activation stays
  // plain): the same losses, logits, parameters and running statistics after two steps, bit for
  // bit. A ResNet all nchw16c, one in part (a 40-wide stage), a CNN whose last pooling writes the
  // plain layout for its flatten.
  auto cpu = make_cpu_backend();
  train_test::CountingBackend plain_backend;
  ModelConfig resnet = two_stage_resnet(16, 16, 32);
  resnet.dropout = 0.25;  // the head's, on plain features
  for (const ModelConfig& config : {resnet, two_stage_resnet(16, 16, 40), two_conv_cnn(16, 32)}) {
    auto blocked_model = make_model(*cpu, config, 28, 28, 4, 16, 1);
    CAPTURE(blocked_model->describe());
    REQUIRE(blocked_model->nchw16c_activations());
    REQUIRE_FALSE(make_model(plain_backend, config, 28, 28, 4, 16, 1)->nchw16c_activations());
    const std::vector<float> blocked = train_two_steps(*cpu, config);
    const std::vector<float> plain = train_two_steps(plain_backend, config);
    REQUIRE(blocked.size() == plain.size());
    CHECK(std::isfinite(plain[0]));
    CHECK(std::isfinite(plain[1]));
    CHECK(plain[0] != plain[1]);  // the first step changed the model
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < plain.size(); ++i)
      if (std::memcmp(&plain[i], &blocked[i], sizeof(float)) != 0 && differ++ == 0) first = i;
    INFO(differ << " of " << plain.size() << " values differ, the first at " << first);
    CHECK(differ == 0);
  }
}

TEST_CASE("model: a ResNet with widths not a multiple of 16 trains plain on the CPU",
          "[model][nchw16c]") {
  auto backend = make_cpu_backend();
  const ModelConfig config = two_stage_resnet(24, 24, 40);
  REQUIRE_FALSE(make_model(*backend, config, 28, 28, 4, 16, 1)->nchw16c_activations());
  const std::vector<float> out = train_two_steps(*backend, config);
  CHECK(std::isfinite(out[0]));
  CHECK(std::isfinite(out[1]));
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return std::isfinite(v); }));
}

TEST_CASE("model: a residual block first takes the plain input where its shortcut allows",
          "[model][nchw16c]") {
  // The model's input is plain. A block with a projection reads it through two convolutions, so
  // its output may still be nchw16c; an identity block adds it to its body's output, so the model
  // stays plain. Either way the CPU's results are those of the plain layout, bit for bit.
  auto cpu = make_cpu_backend();
  train_test::CountingBackend plain_backend;
  for (const int64_t out : {16, 32}) {
    CAPTURE(out);
    auto build = [&](Backend& backend) {
      const SampleShape input = SampleShape::image(16, 6, 6);
      std::vector<std::unique_ptr<Layer>> layers;
      layers.push_back(make_residual_block(input, out, 1, Activation{}));
      layers.push_back(make_global_avgpool(layers.back()->output_shape()));
      layers.push_back(make_flatten(layers.back()->output_shape()));
      layers.push_back(make_linear(layers.back()->output_shape(), 3, true));
      auto model = std::make_unique<Model>(backend, std::move(layers), 4);
      model->initialize(5);
      return model;
    };
    auto blocked = build(*cpu);
    auto plain = build(plain_backend);
    CHECK(blocked->nchw16c_activations() == (out == 32));
    CHECK_FALSE(plain->nchw16c_activations());

    const int64_t n = 4;
    std::vector<float> x(static_cast<size_t>(n * 16 * 36));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.29f * static_cast<float>(i));
    auto logits_and_grads = [&](Backend& backend, Model& m) {
      backend.copy_from_host(m.input(n).data, x.data(), sizeof(float) * x.size());
      StepScalars scalars;
      const StepContext ctx{Mode::train, &scalars};
      m.forward(n, ctx);
      std::vector<float> result(static_cast<size_t>(n * 3));
      backend.copy_to_host(result.data(), m.logits(n).data, sizeof(float) * result.size());
      std::vector<float> dl(result.size());
      for (size_t i = 0; i < dl.size(); ++i) dl[i] = std::cos(0.7f * static_cast<float>(i));
      backend.copy_from_host(m.dlogits(n).data, dl.data(), sizeof(float) * dl.size());
      m.backward(n, ctx);
      std::vector<float> g(static_cast<size_t>(m.parameter_count()));
      backend.copy_to_host(g.data(), m.grads().data, sizeof(float) * g.size());
      result.insert(result.end(), g.begin(), g.end());
      return result;
    };
    const std::vector<float> from_blocked = logits_and_grads(*cpu, *blocked);
    const std::vector<float> from_plain = logits_and_grads(plain_backend, *plain);
    CHECK(std::count_if(from_plain.begin(), from_plain.end(), [](float v) { return v != 0.0f; }) >
          10);
    CHECK(from_blocked == from_plain);
  }
}

TEST_CASE("model: a ResNet without pooling flattens its last map into the head", "[model]") {
  auto backend = make_cpu_backend();
  ModelConfig pooled;
  pooled.kind = ModelKind::resnet;
  ModelConfig flat = pooled;
  flat.pooling = ResnetPooling::none;
  auto with = make_model(*backend, pooled, 28, 28, 47, 4, 1);
  auto without = make_model(*backend, flat, 28, 28, 47, 4, 1);
  CAPTURE(without->describe());
  const auto flat_kinds = kinds(*without);
  CHECK(std::vector<std::string>(flat_kinds.end() - 4, flat_kinds.end()) ==
        std::vector<std::string>{"residual_block", "flatten", "dropout", "linear"});
  // The head reads 128 x 7 x 7 positions where it read 128 means; the rest is the same network.
  CHECK(without->layers()[9]->output_shape() == SampleShape::features(128 * 7 * 7));
  CHECK(without->parameter_count() - with->parameter_count() ==
        linear(128 * 7 * 7, 47, true) - linear(128, 47, true));
  // One layer fewer: the head's linear layer is layers.11 (PyTorch's index in the same Sequential).
  std::set<std::string> names;
  for (const NamedTensor& t : without->named_tensors()) names.insert(t.name);
  CHECK(names.count("layers.11.weight") == 1);
  CHECK(names.count("layers.12.weight") == 0);
  // The flatten reads the plain layout, so the last stage's maps stay plain on the CPU.
  CHECK(layouts(*without) == ".bbbbbbb.....");
}
