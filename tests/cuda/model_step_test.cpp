// A whole training step on the CUDA backend against the CPU backend: the reference MLP and a small
// CNN, the same seed, the same batch; one step of SGD with momentum, weight decay and L1 (so the
// optimizer's weight/other split and regularize run too); then logits, loss, every parameter's
// gradient and update, and the running statistics are compared.
//
// Tolerances: each op differs from the CPU by rounding only (the op tests bound each one tightly),
// and a step chains a dozen of them. Forward quantities (logits, loss, running statistics) are
// compared elementwise at 1e-4 relative. Gradients and parameter updates are compared per tensor by
// relative Euclidean error, at 5e-3: rounding alone gives ~1e-5, while a wiring or indexing bug
// gives errors of order 1. The margin is there because a ReLU input or a max-pool pair within
// rounding (~1e-6) of a tie can fall on different sides on the two backends, which changes one row
// of a weight gradient by O(1) but the tensor's norm by only ~1e-3 (estimated chance of such a
// near-tie: about 1% per model at these batch sizes). SGD is used because its update is linear in
// the gradient: Adam's first step is lr * sign(g), which turns a rounding-level difference in a
// gradient that is nearly zero into a full lr difference in that parameter.
#include <catch2/catch.hpp>

#include <cmath>

#include "compare.hpp"
#include "model_fixtures.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

TrainConfig sgd_config() {
  TrainConfig tc;
  tc.optimizer = OptimizerKind::sgd;
  tc.momentum = 0.9;
  tc.lr = 0.05;
  tc.weight_decay = 5e-4;
  tc.l1 = 1e-5;
  tc.seed = 17;
  return tc;
}

void check_step(const ModelConfig& mc, int64_t batch, int classes, uint32_t seed) {
  const TrainConfig tc = sgd_config();
  const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, seed);
  const auto y = labels(static_cast<size_t>(batch), classes, seed + 1);
  ModelRun ref(cpu(), mc, tc, classes, batch, x, y);
  ModelRun dev(gpu(), mc, tc, classes, batch, x, y);
  const std::vector<float> p0 = ref.params();
  REQUIRE(dev.params() == p0);  // the same initialisation, uploaded bit for bit

  const float lr = static_cast<float>(tc.lr);
  ref.runner->train_batch(batch, lr);
  dev.runner->train_batch(batch, lr);

  expect_close(dev.logits(batch), ref.logits(batch), Tolerance{1e-4, 1e-4}, "logits");
  const float loss_ref = ref.runner->read_last_loss(), loss_dev = dev.runner->read_last_loss();
  CHECK(std::isfinite(loss_dev));
  CHECK(std::fabs(loss_dev - loss_ref) <= 1e-5 * std::fabs(loss_ref) + 1e-6);

  const Totals t_ref = ref.runner->read_totals(), t_dev = dev.runner->read_totals();
  CHECK(t_dev.samples == batch);
  int64_t counted = 0;
  for (int64_t v : t_dev.confusion) counted += v;
  CHECK(counted == batch);
  CHECK(std::fabs(t_dev.loss_sum - t_ref.loss_sum) <= 1e-5 * std::fabs(t_ref.loss_sum) + 1e-5);

  // Gradients and parameter updates (p' - p, from the same initial p), tensor by tensor.
  const auto g_ref = ref.grads(), g_dev = dev.grads();
  const auto p_ref = ref.params(), p_dev = dev.params();
  for (const NamedTensor& nt : ref.model->named_tensors()) {
    if (nt.group == ParamGroup::buffer) continue;
    int64_t numel = 1;
    for (int64_t d : nt.shape) numel *= d;
    const auto first = static_cast<size_t>(nt.offset), last = first + static_cast<size_t>(numel);
    const std::vector<float> gr(g_ref.begin() + first, g_ref.begin() + last);
    const std::vector<float> gd(g_dev.begin() + first, g_dev.begin() + last);
    std::vector<float> ur(gr.size()), ud(gr.size());
    for (size_t i = 0; i < gr.size(); ++i) {
      ur[i] = p_ref[first + i] - p0[first + i];
      ud[i] = p_dev[first + i] - p0[first + i];
    }
    const double grad_err = relative_l2(gd, gr), update_err = relative_l2(ud, ur);
    INFO(nt.name << ": relative L2 error of the gradient " << grad_err << ", of the update "
                 << update_err);
    CHECK(grad_err <= 5e-3);
    CHECK(update_err <= 5e-3);
  }
  // Running statistics: batch means and variances, an ulp or so apart.
  const TensorMap s_ref = ref.model->state_dict(), s_dev = dev.model->state_dict();
  for (const NamedTensor& nt : ref.model->named_tensors()) {
    if (nt.group != ParamGroup::buffer) continue;
    expect_close(s_dev.at(nt.name).values, s_ref.at(nt.name).values, Tolerance{1e-5, 1e-4},
                 nt.name);
  }
}

}  // namespace

TEST_CASE("cuda model step: the reference MLP's training step matches the CPU's", "[cuda][model]") {
  check_step(reference_mlp(), 16, 47, 201);
}

TEST_CASE("cuda model step: a small CNN's training step matches the CPU's", "[cuda][model]") {
  check_step(small_cnn(), 8, 10, 211);
}

TEST_CASE("cuda model step: a small ResNet's training step matches the CPU's", "[cuda][model]") {
  check_step(small_resnet(), 8, 10, 231);
}

TEST_CASE("cuda model step: evaluation (inference mode) matches the CPU", "[cuda][model]") {
  const ModelConfig mc = small_cnn();
  const TrainConfig tc = sgd_config();
  const int64_t batch = 5;  // a last, partial evaluation batch
  const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, 221);
  const auto y = labels(static_cast<size_t>(batch), 10, 222);
  ModelRun ref(cpu(), mc, tc, 10, batch, x, y);
  ModelRun dev(gpu(), mc, tc, 10, batch, x, y);
  ref.runner->eval_batch(batch);
  dev.runner->eval_batch(batch);
  expect_close(dev.logits(batch), ref.logits(batch), Tolerance{1e-4, 1e-4}, "logits");
  std::vector<float> l_ref(50), p_ref(50), l_dev(50), p_dev(50);
  ref.runner->read_outputs(batch, l_ref.data(), p_ref.data());
  dev.runner->read_outputs(batch, l_dev.data(), p_dev.data());
  expect_close(p_dev, p_ref, Tolerance{1e-5, 1e-4}, "probabilities");
  const Totals t_ref = ref.runner->read_totals(), t_dev = dev.runner->read_totals();
  CHECK(std::fabs(t_dev.loss_sum - t_ref.loss_sum) <= 1e-5 * std::fabs(t_ref.loss_sum) + 1e-5);
}
