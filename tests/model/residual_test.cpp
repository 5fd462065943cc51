// Residual blocks and global average pooling as layers of a model: the names PyTorch gives a
// block's tensors, the shapes a stride gives, and every parameter's gradient through both paths of
// a projection block and an identity block against finite differences; and a block in the nchw16c
// layout against the plain layout, bit for bit.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <set>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/arena.hpp"
#include "emnist/model.hpp"

using namespace emnist;

namespace {

// conv 3x3 (1 -> 3) | block 3 -> 4, stride 2 (projection) | block 4 -> 4 (identity) | global
// average pool | flatten | linear 4 -> 3, on 6x6 images.
std::unique_ptr<Model> small_resnet(Backend& backend, Activation a, int64_t batch) {
  std::vector<std::unique_ptr<Layer>> layers;
  SampleShape shape = SampleShape::image(1, 6, 6);
  const auto add = [&](std::unique_ptr<Layer> layer) {
    shape = layer->output_shape();
    layers.push_back(std::move(layer));
  };
  add(make_conv2d(shape, 3, 3, true));
  add(make_residual_block(shape, 4, 2, a));
  add(make_residual_block(shape, 4, 1, a));
  add(make_global_avgpool(shape));
  add(make_flatten(shape));
  add(make_linear(shape, 3, true));
  return std::make_unique<Model>(backend, std::move(layers), batch);
}

// What a residual block computed in one training step: its output and input gradient (as plain
// values), every trained parameter's gradient, the running statistics after the step, and the
// output in inference mode after it.
struct BlockStep {
  std::vector<float> y, dx, grads, values, y_infer;
};

// A fresh block [c, h, w] -> [out, ...] given the same parameter values (per seed) in every run,
// its workspace and every output poisoned with NaN, run forward (train), backward and forward
// (infer) on a batch of n with x, y, dy and dx in `layout`.
BlockStep run_block(Backend& backend, SampleShape input, int64_t out, int stride, Activation a,
                    int64_t n, Layout layout, uint32_t seed) {
  auto block = make_residual_block(input, out, stride, a);
  const SampleShape output = block->output_shape();
  const std::vector<ParamSpec> specs = block->param_specs();
  size_t count = 0;
  for (const ParamSpec& spec : specs) count += static_cast<size_t>(spec.numel());
  BlockStep step;
  step.values.resize(count);
  step.grads = test::nan_vector(count);  // buffers' entries stay NaN: never written
  std::vector<float*> values, grads;
  size_t offset = 0;
  uint32_t spec_seed = seed;
  for (const ParamSpec& spec : specs) {
    const auto numel = static_cast<size_t>(spec.numel());
    // Not PyTorch's initial values: batch norm's scales, shifts and running statistics away from
    // 1 and 0 too, so that each takes part in the bits.
    float lo = -0.5f, hi = 0.5f;
    if (spec.init == ParamInit::fan_in_uniform) {
      hi = 1.0f / std::sqrt(static_cast<float>(spec.fan_in));
      lo = -hi;
    } else if (spec.init == ParamInit::ones) {
      lo = 0.5f;
      hi = 1.5f;
    }
    const std::vector<float> v = test::uniform(numel, lo, hi, ++spec_seed);
    std::copy(v.begin(), v.end(), step.values.begin() + static_cast<std::ptrdiff_t>(offset));
    values.push_back(step.values.data() + offset);
    grads.push_back(spec.group == ParamGroup::buffer ? nullptr : step.grads.data() + offset);
    offset += numel;
  }
  block->bind_params(values, grads);
  DeviceBuffer workspace(backend, block->workspace_bytes(n));
  {
    const std::vector<float> poison = test::nan_vector(workspace.bytes() / sizeof(float));
    std::copy(poison.begin(), poison.end(), static_cast<float*>(workspace.data()));
  }
  block->bind_workspace(workspace.data());

  const int64_t xd[4] = {n, input.dim(0), input.dim(1), input.dim(2)};
  const int64_t yd[4] = {n, output.dim(0), output.dim(1), output.dim(2)};
  const bool blocked = layout == Layout::nchw16c;
  const auto store = [&](const std::vector<float>& v, const int64_t(&d)[4]) {
    return blocked ? test::to_nchw16c(v, d[0], d[1], d[2], d[3]) : v;
  };
  const auto load = [&](const std::vector<float>& v, const int64_t(&d)[4]) {
    return blocked ? test::to_plain(v, d[0], d[1], d[2], d[3]) : v;
  };
  const auto tensor = [&](std::vector<float>& v, const int64_t(&d)[4]) {
    Tensor t(v.data(), {d[0], d[1], d[2], d[3]});
    t.layout = layout;
    return t;
  };
  const auto size = [](const int64_t(&d)[4]) {
    return static_cast<size_t>(d[0] * d[1] * d[2] * d[3]);
  };

  std::vector<float> x = store(test::uniform(size(xd), -2, 2, seed + 100), xd);
  std::vector<float> dy = store(test::uniform(size(yd), -1, 1, seed + 101), yd);
  std::vector<float> y = test::nan_vector(size(yd)), dx = test::nan_vector(size(xd));
  StepScalars scalars;
  const StepContext train{Mode::train, &scalars};
  block->forward(backend, tensor(x, xd), tensor(y, yd), train);
  block->backward(backend, tensor(x, xd), tensor(y, yd), tensor(dy, yd), tensor(dx, xd), train);
  step.y = load(y, yd);
  step.dx = load(dx, xd);
  std::vector<float> y_infer = test::nan_vector(size(yd));
  block->forward(backend, tensor(x, xd), tensor(y_infer, yd), StepContext{Mode::infer, &scalars});
  step.y_infer = load(y_infer, yd);
  return step;
}

}  // namespace

TEST_CASE("model: residual blocks are named and shaped as PyTorch's", "[model][resnet]") {
  auto backend = make_cpu_backend();
  const auto model = small_resnet(*backend, Activation{}, 2);
  CHECK(model->layers()[1]->kind() == "residual_block");
  CHECK(model->layers()[1]->output_shape() == SampleShape::image(4, 3, 3));  // (6 - 1) / 2 + 1
  CHECK(model->layers()[2]->output_shape() == SampleShape::image(4, 3, 3));
  CHECK(model->layers()[3]->output_shape() == SampleShape::image(4, 1, 1));
  std::set<std::string> names;
  for (const NamedTensor& t : model->named_tensors()) names.insert(t.name);
  for (const char* bn : {"weight", "bias", "running_mean", "running_var"}) {
    for (const char* at : {"layers.1.body.1.", "layers.1.body.4.", "layers.1.shortcut.1.",
                           "layers.2.body.1.", "layers.2.body.4."})
      CHECK(names.count(std::string(at) + bn) == 1);
  }
  for (const char* conv :
       {"layers.1.body.0.weight", "layers.1.body.3.weight", "layers.1.shortcut.0.weight",
        "layers.2.body.0.weight", "layers.2.body.3.weight"})
    CHECK(names.count(conv) == 1);
  CHECK(names.count("layers.1.body.0.bias") == 0);        // batch norm follows: no bias
  CHECK(names.count("layers.2.shortcut.0.weight") == 0);  // the identity has no parameters
  // 1->3 conv with bias; block 1: 3x3 3->4, 3x3 4->4, 1x1 3->4, three batch norms; block 2: two
  // 3x3 4->4, two batch norms; linear 4->3.
  CHECK(model->parameter_count() ==
        (27 + 3) + (108 + 144 + 12 + 3 * 8) + (144 + 144 + 2 * 8) + (12 + 3));
  CHECK_THROWS_AS(make_residual_block(SampleShape::features(9), 4, 1, Activation{}),
                  std::invalid_argument);
}

TEST_CASE("model: a residual network's parameter gradients match finite differences",
          "[model][resnet][gradcheck]") {
  // ELU with alpha 1 has a continuous derivative, so the central differences do not straddle a
  // kink (tests/cpu/gradient_check.hpp states the tolerance). Every parameter is checked: the
  // stem's reach it through both paths of both blocks, the projection's through the shortcut only.
  // The step is 3e-3, not the default 1e-2: batch norm over 36 values per channel curves the
  // objective enough that at 1e-2 the truncation error of 2 of the 637 differences was about 2%,
  // twice the tolerance. Without the identity path's or the projection's gradient added into dx,
  // 314 and 27 of them fail.
  auto backend = make_cpu_backend();
  const int64_t n = 4;
  const Activation elu{ActivationKind::elu, 0.01f, 1.0f};
  auto model = small_resnet(*backend, elu, n);
  model->initialize(5);
  std::vector<float> x(static_cast<size_t>(n * 36));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.61f * static_cast<float>(i)) + 0.1f;
  std::vector<float> r(static_cast<size_t>(n * 3));
  for (size_t i = 0; i < r.size(); ++i) r[i] = std::cos(1.3f * static_cast<float>(i));
  const int64_t count = model->parameter_count();
  std::vector<float> params(static_cast<size_t>(count));
  std::copy_n(model->params().data, count, params.data());
  StepScalars scalars;
  const StepContext ctx{Mode::train, &scalars};
  const auto objective = [&] {
    std::copy_n(params.data(), count, model->params().data);
    std::copy(x.begin(), x.end(), model->input(n).data);
    model->forward(n, ctx);
    double l = 0.0;
    for (size_t i = 0; i < r.size(); ++i) l += double{model->logits(n).data[i]} * r[i];
    return l;
  };
  objective();
  std::copy(r.begin(), r.end(), model->dlogits(n).data);
  model->backward(n, ctx);
  std::vector<float> analytic(model->grads().data, model->grads().data + count);
  test::GradCheckOptions options;
  options.step = 3e-3;
  test::expect_gradients(objective, {{"params", &params, analytic}}, options);
}

TEST_CASE("model: a residual block in the nchw16c layout gives the plain layout's bits",
          "[model][resnet][nchw16c]") {
  // A projection block ([16, 6, 6] -> 32 channels at stride 2: [32, 3, 3]) and an identity block
  // ([32, 5, 5] -> 32), each as a standalone layer with the same parameter values, once with x, y,
  // dy and dx plain and once nchw16c (the block's own buffers then take that layout too). Every
  // output NaN-poisoned beforehand, so an element left unwritten shows.
  auto backend = make_cpu_backend();
  struct Case {
    SampleShape input;
    int64_t out;
    int stride;
    int64_t n;
  };
  uint32_t seed = 10;
  for (const Case c : {Case{SampleShape::image(16, 6, 6), 32, 2, 20},
                       Case{SampleShape::image(32, 5, 5), 32, 1, 6}}) {
    for (const ActivationKind kind : {ActivationKind::relu, ActivationKind::elu}) {
      CAPTURE(c.input.str(), c.out, c.stride, c.n, static_cast<int>(kind));
      seed += 10;
      Activation a;
      a.kind = kind;
      const BlockStep plain =
          run_block(*backend, c.input, c.out, c.stride, a, c.n, Layout::plain, seed);
      const BlockStep blocked =
          run_block(*backend, c.input, c.out, c.stride, a, c.n, Layout::nchw16c, seed);
      const auto same = [](const std::vector<float>& got, const std::vector<float>& want,
                           const char* what) {
        INFO(what << ": largest difference " << test::max_abs_diff(got, want));
        CHECK(test::bit_identical(got, want));
      };
      same(blocked.y, plain.y, "y");
      same(blocked.dx, plain.dx, "dx");
      same(blocked.grads, plain.grads, "parameter gradients (buffers' entries NaN in both)");
      same(blocked.values, plain.values, "parameters and running statistics after the step");
      same(blocked.y_infer, plain.y_infer, "y (inference)");
      // The plain run wrote everything (only the buffers' gradient entries stay NaN), and the
      // gradients are not trivially zero.
      CHECK(test::count_non_finite(plain.y) == 0);
      CHECK(test::count_non_finite(plain.dx) == 0);
      CHECK(test::count_non_finite(plain.values) == 0);
      CHECK(test::count_non_finite(plain.y_infer) == 0);
      const auto written = static_cast<int64_t>(std::count_if(
          plain.grads.begin(), plain.grads.end(), [](float v) { return !std::isnan(v); }));
      const auto trained = make_residual_block(c.input, c.out, c.stride, a)->parameter_count();
      CHECK(written == trained);
      CHECK(std::count_if(plain.grads.begin(), plain.grads.end(),
                          [](float v) { return v != 0.0f && !std::isnan(v); }) > trained / 2);
      CHECK(std::count(plain.dx.begin(), plain.dx.end(), 0.0f) <
            static_cast<std::ptrdiff_t>(plain.dx.size() / 2));
    }
  }
}
