// Softmax cross-entropy and softmax on the target against the reference. On CUDA, both subtract the
// row maximum, exponentiate with expf (device within 2 ulp, host within 1), sum in double and apply
// the same float roundings: probabilities and gradients agree within a few ulps (2e-6 relative),
// the mean loss likewise (its double sum is only reordered).
#include <cmath>
#include <limits>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

struct LossCase {
  int64_t batch, classes;
  float offset;   // added to every logit: large offsets test the max subtraction
  bool in_place;  // dlogits overwrites the logits, as the model allows
};

// dlogits = (p - onehot) / B: the few ulps of the probabilities, scaled by 1/B, and at the label
// (p - 1) / B cancels, so allow a few ulps of 1/B absolute.
Tolerance dlogits_tolerance(int64_t batch) {
  return Tolerance{3e-7 / static_cast<double>(batch), 2e-6};
}

// smoothing: the target's label smoothing; weighted: class weights in [0.2, 3).
void check_loss(OpTarget& target, const LossCase& t, uint32_t seed, float smoothing = 0.0f,
                bool weighted = false) {
  CAPTURE(target.name(), t.batch, t.classes, t.offset, t.in_place, smoothing, weighted);
  const int64_t b = t.batch, c = t.classes;
  const size_t sz = static_cast<size_t>(b * c);
  auto z = uniform(sz, -5, 5, seed);
  for (float& v : z) v += t.offset;
  const auto y = labels(static_cast<size_t>(b), static_cast<int>(c), seed + 1);

  auto class_weights = uniform(static_cast<size_t>(c), 0.2f, 3.0f, seed + 2);

  auto d_ref = nan_vector(sz), p_ref = nan_vector(sz);
  float loss_ref = std::numeric_limits<float>::quiet_NaN();
  auto z_copy = z;
  run_reference([&](Backend& ref) {
    ref.softmax_cross_entropy(
        host_tensor(z_copy, {b, c}), y.data(), host_tensor(d_ref, {b, c}), &loss_ref,
        CrossEntropyParams{smoothing, weighted ? class_weights.data() : nullptr});
    ref.softmax(host_tensor(z_copy, {b, c}), host_tensor(p_ref, {b, c}));
  });

  Backend& mem = target.backend();
  Guarded<float> gz(mem, z), gd(mem, sz), gp(mem, sz), gloss(mem, 1);
  Guarded<int32_t> gy(mem, y);
  Guarded<float> gw(mem, class_weights);
  Guarded<float>& dlogits = t.in_place ? gz : gd;
  target.run([&](Backend& dev) {
    // Softmax first: the in-place cross-entropy below overwrites the logits.
    dev.softmax(gz.tensor({b, c}), gp.tensor({b, c}));
    dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), dlogits.tensor({b, c}), gloss.data(),
                              CrossEntropyParams{smoothing, weighted ? gw.data() : nullptr});
  });

  target.expect_close(gp.read(), p_ref, Tolerance{1e-9, 2e-6}, "softmax");
  target.expect_close(dlogits.read(), d_ref, dlogits_tolerance(b), "dlogits");
  target.expect_close(gloss.read(), {loss_ref}, Tolerance{1e-6, 2e-6}, "loss");
  for (const auto* g : {&gz, &gd, &gp, &gloss, &gw}) g->check_guards("softmax cross-entropy");
  gy.check_guards("labels");
}

}  // namespace

OP_TEST_CASE("softmax cross-entropy: small case", "[loss][sanitize]") {
  check_loss(op_target(), {3, 10, 0.0f, false}, 81);
  check_loss(op_target(), {3, 40, 0.0f, true}, 82);
}

OP_TEST_CASE("softmax cross-entropy: loss, gradient and softmax match the CPU", "[loss]") {
  const LossCase cases[] = {
      {1, 1, 0.0f, false},     {1, 47, 0.0f, false},     {3, 10, 0.0f, true},
      {37, 47, 0.0f, false},   {128, 62, 0.0f, true},    {5, 100, 0.0f, false},
      {40, 1000, 0.0f, false}, {37, 47, 1000.0f, false}, {2000, 26, -300.0f, true},
      {33, 33, 0.0f, false},
  };
  uint32_t seed = 7000;
  for (const LossCase& c : cases) check_loss(op_target(), c, seed += 10);
}

OP_TEST_CASE("softmax cross-entropy with label smoothing and class weights matches the CPU",
             "[loss]") {
  const LossCase cases[] = {{1, 47, 0.0f, false},
                            {37, 47, 0.0f, true},
                            {128, 62, 1000.0f, false},
                            {2000, 26, -300.0f, true}};
  uint32_t seed = 7300;
  for (const float smoothing : {0.0f, 0.1f, 0.5f})
    for (const bool weighted : {false, true})
      for (const LossCase& c : cases) check_loss(op_target(), c, seed += 10, smoothing, weighted);
}

OP_TEST_CASE("softmax cross-entropy: loss only, and gradient only", "[loss]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  const int64_t b = 16, c = 47;
  auto z = uniform(static_cast<size_t>(b * c), -3, 3, 91);
  const auto y = labels(static_cast<size_t>(b), static_cast<int>(c), 92);
  float loss_ref = 0.0f;
  auto d_ref = nan_vector(z.size());
  run_reference([&](Backend& ref) {
    ref.softmax_cross_entropy(host_tensor(z, {b, c}), y.data(), host_tensor(d_ref, {b, c}),
                              &loss_ref, {});
  });

  Backend& mem = target.backend();
  Guarded<float> gz(mem, z), gd(mem, z.size()), gloss(mem, 1);
  Guarded<int32_t> gy(mem, y);
  target.run([&](Backend& dev) {
    dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), Tensor{}, gloss.data(), {});
  });
  target.expect_close(gloss.read(), {loss_ref}, Tolerance{1e-6, 2e-6}, "loss without dlogits");
  for (float v : gd.read()) REQUIRE(std::isnan(v));
  target.run([&](Backend& dev) {
    dev.softmax_cross_entropy(gz.tensor({b, c}), gy.data(), gd.tensor({b, c}), nullptr, {});
  });
  target.expect_close(gd.read(), d_ref, dlogits_tolerance(b), "dlogits without loss");
  for (const auto* g : {&gz, &gd, &gloss}) g->check_guards("softmax cross-entropy");
}

}  // namespace emnist::test
