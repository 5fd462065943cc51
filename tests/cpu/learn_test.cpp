// The CPU backend's ops put together into a training step learn a tiny batch: a small CNN (conv,
// batch norm, ReLU, max-pool, dropout, linear, softmax cross-entropy, Adam over one flat parameter
// buffer) drives the loss down and classifies all 16 samples, in training and in inference mode.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu backend learns a tiny batch", "[cpu][learn]") {
  auto be = make_cpu_backend();
  const int64_t n = 16, ch = 4, hw = 6, classes = 4, feat = ch * 3 * 3;
  auto x = uniform(static_cast<size_t>(n * hw * hw), -1, 1, 171);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % classes);

  // One flat buffer of parameters (and of gradients and Adam state), carved into views.
  const int64_t sizes[] = {ch * 9, ch, ch, ch, classes * feat, classes};
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  std::vector<float> params(static_cast<size_t>(total)), grads(params.size()),
      m(params.size(), 0.0f), v(params.size(), 0.0f);
  float* at[6];
  float* gat[6];
  int64_t offset = 0;
  for (int i = 0; i < 6; ++i) {
    at[i] = params.data() + offset;
    gat[i] = grads.data() + offset;
    offset += sizes[i];
  }
  std::mt19937 gen(172);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < sizes[0]; ++i) at[0][i] = normal(gen) / 3.0f;
  for (int64_t i = 0; i < ch; ++i) at[1][i] = 0.0f, at[2][i] = 1.0f, at[3][i] = 0.0f;
  for (int64_t i = 0; i < sizes[4]; ++i) at[4][i] = normal(gen) / 6.0f;
  for (int64_t i = 0; i < classes; ++i) at[5][i] = 0.0f;
  const Tensor w1(at[0], {ch, 1, 3, 3}), b1(at[1], {ch}), gamma(at[2], {ch}), beta(at[3], {ch}),
      w2(at[4], {classes, feat}), b2(at[5], {classes});
  const Tensor dw1(gat[0], {ch, 1, 3, 3}), db1(gat[1], {ch}), dgamma(gat[2], {ch}),
      dbeta(gat[3], {ch}), dw2(gat[4], {classes, feat}), db2(gat[5], {classes});

  std::vector<float> rm(static_cast<size_t>(ch), 0.0f), rv(static_cast<size_t>(ch), 1.0f),
      smean(rm.size()), sinv(rm.size());
  std::vector<float> a1(static_cast<size_t>(n * ch * hw * hw)), a2(a1.size()),
      a3(static_cast<size_t>(n * feat)), a4(a3.size()), logits(static_cast<size_t>(n * classes));
  std::vector<float> d1(a1.size()), d2(a1.size()), d3(a3.size()), d4(a3.size()),
      dlogits(logits.size());
  std::vector<int32_t> argmax(a3.size());
  const Activation relu{};
  const BatchNormParams bn{};
  const Conv2dParams same{1, 1};
  const float drop = 0.1f;
  OptimizerParams adam;
  adam.kind = OptimizerKind::adam;
  StepScalars scalars;
  scalars.lr = 0.02f;

  const auto forward = [&](bool train) {
    be->conv2d_forward(view(x, {n, 1, hw, hw}), w1, b1, view(a1, {n, ch, hw, hw}), same);
    if (train) {
      be->batchnorm_forward_train(view(a1, {n, ch, hw, hw}), gamma, beta, view(rm, {ch}),
                                  view(rv, {ch}), view(a2, {n, ch, hw, hw}), view(smean, {ch}),
                                  view(sinv, {ch}), bn);
    } else {
      be->batchnorm_forward_infer(view(a1, {n, ch, hw, hw}), gamma, beta, view(rm, {ch}),
                                  view(rv, {ch}), view(a2, {n, ch, hw, hw}), bn);
    }
    be->activation_forward(relu, view(a2, {n, ch, hw, hw}), view(a2, {n, ch, hw, hw}));
    be->maxpool2d_forward(view(a2, {n, ch, hw, hw}), view(a3, {n, ch, 3, 3}), argmax.data());
    if (train) {
      be->dropout_forward(view(a3, {n, feat}), view(a4, {n, feat}), drop, 5, 0, &scalars);
    } else {
      a4 = a3;
    }
    be->linear_forward(view(a4, {n, feat}), w2, b2, view(logits, {n, classes}));
  };
  const auto accuracy = [&] {
    std::vector<int64_t> confusion(static_cast<size_t>(classes * classes), 0);
    be->confusion_accumulate(view(logits, {n, classes}), labels.data(), confusion.data());
    int64_t right = 0;
    for (int64_t c = 0; c < classes; ++c) right += confusion[static_cast<size_t>(c * classes + c)];
    return static_cast<double>(right) / static_cast<double>(n);
  };

  float first_loss = NAN, loss = NAN;
  for (int64_t step = 0; step < 300; ++step) {
    scalars.step = step;
    forward(true);
    be->softmax_cross_entropy(view(logits, {n, classes}), labels.data(),
                              view(dlogits, {n, classes}), &loss, {});
    REQUIRE(std::isfinite(loss));
    if (step == 0) first_loss = loss;
    be->linear_backward(view(a4, {n, feat}), w2, view(dlogits, {n, classes}), view(d4, {n, feat}),
                        dw2, db2);
    be->dropout_backward(view(d4, {n, feat}), view(d3, {n, feat}), drop, 5, 0, &scalars);
    be->maxpool2d_backward(view(d3, {n, ch, 3, 3}), argmax.data(), view(d2, {n, ch, hw, hw}));
    be->activation_backward(relu, view(a2, {n, ch, hw, hw}), view(d2, {n, ch, hw, hw}),
                            view(d2, {n, ch, hw, hw}));
    be->batchnorm_backward(view(a1, {n, ch, hw, hw}), view(d2, {n, ch, hw, hw}), gamma,
                           view(smean, {ch}), view(sinv, {ch}), view(d1, {n, ch, hw, hw}), dgamma,
                           dbeta);
    be->conv2d_backward(view(x, {n, 1, hw, hw}), w1, view(d1, {n, ch, hw, hw}), Tensor(), dw1, db1,
                        same);
    be->optimizer_step(adam, view(params, {total}), view(grads, {total}), view(m, {total}),
                       view(v, {total}), &scalars);
  }
  CHECK(loss < first_loss / 10);
  scalars.step = 300;
  forward(true);
  CHECK(accuracy() == 1.0);
  forward(false);
  CHECK(accuracy() == 1.0);
  CHECK(count_non_finite(params) == 0);
}

}  // namespace emnist::test
