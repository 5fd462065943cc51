// Residual blocks and global average pooling as layers of a model: the names PyTorch gives a
// block's tensors, the shapes a stride gives, and every parameter's gradient through both paths of
// a projection block and an identity block against finite differences.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "cpu/gradient_check.hpp"
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
