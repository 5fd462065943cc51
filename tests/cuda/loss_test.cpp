// Softmax cross-entropy and softmax on the CUDA backend against the CPU backend. Both subtract the
// row maximum, exponentiate with expf (device within 2 ulp, host within 1), sum in double and apply
// the same float roundings: probabilities and gradients agree within a few ulps (2e-6 relative),
// the mean loss likewise (its double sum is only reordered).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

struct LossCase {
  int64_t batch, classes;
  float offset;   // added to every logit: large offsets test the max subtraction
  bool in_place;  // dlogits overwrites the logits, as the model allows
};

void check_loss(const LossCase& t, uint32_t seed) {
  CAPTURE(t.batch, t.classes, t.offset, t.in_place);
  const int64_t b = t.batch, c = t.classes;
  const size_t sz = static_cast<size_t>(b * c);
  auto z = uniform(sz, -5, 5, seed);
  for (float& v : z) v += t.offset;
  const auto y = labels(static_cast<size_t>(b), static_cast<int>(c), seed + 1);

  auto d_ref = nan_vector(sz), p_ref = nan_vector(sz);
  float loss_ref = std::numeric_limits<float>::quiet_NaN();
  auto z_copy = z;
  cpu().softmax_cross_entropy(host_tensor(z_copy, {b, c}), y.data(), host_tensor(d_ref, {b, c}),
                              &loss_ref);
  cpu().softmax(host_tensor(z_copy, {b, c}), host_tensor(p_ref, {b, c}));

  Backend& dev = gpu();
  Guarded<float> gz(dev, z), gd(dev, sz), gp(dev, sz), gloss(dev, 1);
  Guarded<int32_t> gy(dev, y);
  // Softmax first: the in-place cross-entropy below overwrites the logits.
  dev.softmax(gz.tensor({b, c}), gp.tensor({b, c}));
  Guarded<float>& dlogits = t.in_place ? gz : gd;
  dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), dlogits.tensor({b, c}), gloss.data());

  expect_close(gp.read(), p_ref, Tolerance{1e-9, 2e-6}, "softmax");
  // dlogits = (p - onehot) / B: the same few ulps, scaled by 1/B, and at the label (p - 1) / B
  // cancels, so allow a few ulps of 1/B absolute.
  expect_close(dlogits.read(), d_ref, Tolerance{3e-7 / static_cast<double>(b), 2e-6}, "dlogits");
  expect_close(gloss.read(), {loss_ref}, Tolerance{1e-6, 2e-6}, "loss");
  for (const auto* g : {&gz, &gd, &gp, &gloss}) g->check_guards("softmax cross-entropy");
  gy.check_guards("labels");
}

}  // namespace

TEST_CASE("cuda softmax cross-entropy: small case", "[cuda][loss][sanitize]") {
  check_loss({3, 10, 0.0f, false}, 81);
  check_loss({3, 40, 0.0f, true}, 82);
}

TEST_CASE("cuda softmax cross-entropy: loss, gradient and softmax match the CPU", "[cuda][loss]") {
  const LossCase cases[] = {
      {1, 1, 0.0f, false},     {1, 47, 0.0f, false},     {3, 10, 0.0f, true},
      {37, 47, 0.0f, false},   {128, 62, 0.0f, true},    {5, 100, 0.0f, false},
      {40, 1000, 0.0f, false}, {37, 47, 1000.0f, false}, {2000, 26, -300.0f, true},
      {33, 33, 0.0f, false},
  };
  uint32_t seed = 7000;
  for (const LossCase& c : cases) check_loss(c, seed += 10);
}

TEST_CASE("cuda softmax cross-entropy: loss only, and gradient only", "[cuda][loss]") {
  const int64_t b = 16, c = 47;
  auto z = uniform(static_cast<size_t>(b * c), -3, 3, 91);
  const auto y = labels(static_cast<size_t>(b), static_cast<int>(c), 92);
  float loss_ref = 0.0f;
  auto d_ref = nan_vector(z.size());
  cpu().softmax_cross_entropy(host_tensor(z, {b, c}), y.data(), host_tensor(d_ref, {b, c}),
                              &loss_ref);

  Backend& dev = gpu();
  Guarded<float> gz(dev, z), gd(dev, z.size()), gloss(dev, 1);
  Guarded<int32_t> gy(dev, y);
  dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), Tensor{}, gloss.data());
  expect_close(gloss.read(), {loss_ref}, Tolerance{1e-6, 2e-6}, "loss without dlogits");
  for (float v : gd.read()) REQUIRE(std::isnan(v));
  dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), gd.tensor({b, c}), nullptr);
  expect_close(gd.read(), d_ref, Tolerance{3e-7 / static_cast<double>(b), 2e-6},
               "dlogits without loss");
  for (const auto* g : {&gz, &gd, &gloss}) g->check_guards("softmax cross-entropy");
}

TEST_CASE("cuda softmax cross-entropy: a label out of range gives NaN, not a stray access",
          "[cuda][loss]") {
  const int64_t b = 4, c = 5;
  auto z = uniform(static_cast<size_t>(b * c), -1, 1, 95);
  Backend& dev = gpu();
  Guarded<float> gz(dev, z), gd(dev, z.size()), gloss(dev, 1);
  Guarded<int32_t> gy(dev, std::vector<int32_t>{0, 1, 7, 2});
  dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), gd.tensor({b, c}), gloss.data());
  CHECK(std::isnan(gloss.read()[0]));
  const auto d = gd.read();
  for (int64_t j = 0; j < c; ++j) CHECK(std::isnan(d[static_cast<size_t>(2 * c + j)]));
  for (int64_t j = 0; j < c; ++j) CHECK(std::isfinite(d[static_cast<size_t>(j)]));
  for (const auto* g : {&gz, &gd, &gloss}) g->check_guards("softmax cross-entropy");
}
