// Graph replay against eager launches: the same model trained and evaluated with train.cuda_graph
// on and off, in deterministic mode, gives bit-identical parameters and totals. Steps of both
// kinds pass the eager warm-up, the capture and several replays, with a partial evaluation batch.
#include <catch2/catch.hpp>
#include <cstring>

#include "compare.hpp"
#include "model_fixtures.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda graphs: replayed steps equal eager steps bit for bit", "[cuda][graph]") {
  Backend& dev = gpu(cuda::Precision::fp32, true);
  for (const ModelConfig& mc : {reference_mlp(), small_cnn(), small_resnet()}) {
    CAPTURE(mc.kind);
    const int64_t batch = 32;
    const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, 911);
    const auto y = labels(static_cast<size_t>(batch), 47, 912);
    TrainConfig eager_config, graph_config;
    eager_config.cuda_graph = false;
    graph_config.cuda_graph = true;
    ModelRun eager(dev, mc, eager_config, 47, batch, x, y);
    ModelRun graphed(dev, mc, graph_config, 47, batch, x, y);
    for (int step = 0; step < 5; ++step) {
      // The rate changes every step: a replay must read it from the step scalars.
      const float lr = 1e-3f * static_cast<float>(step + 1);
      eager.runner->train_batch(batch, lr);
      graphed.runner->train_batch(batch, lr);
    }
    const std::vector<float> pe = eager.params(), pg = graphed.params();
    REQUIRE(pe.size() == pg.size());
    CHECK(std::memcmp(pe.data(), pg.data(), sizeof(float) * pe.size()) == 0);
    CHECK(eager.runner->read_totals().loss_sum == graphed.runner->read_totals().loss_sum);

    eager.runner->reset_totals();
    graphed.runner->reset_totals();
    for (int pass = 0; pass < 3; ++pass) {
      for (int64_t n : {batch, batch / 2 + 3}) {
        eager.runner->eval_batch(n);
        graphed.runner->eval_batch(n);
      }
    }
    const Totals te = eager.runner->read_totals(), tg = graphed.runner->read_totals();
    CHECK(te.loss_sum == tg.loss_sum);
    CHECK(te.confusion == tg.confusion);
    CHECK(te.samples == tg.samples);
    // Eager equals eager too: the comparison above proves something only if the graphed run
    // really replayed. Three graphs (training at 32, evaluation at 32 and 19), each step kind
    // eager once, captured and replayed the second time, replayed after: 4 + 2 + 2 replays.
    graphed.check_graphs(3, 8);
    eager.check_graphs(0, 0);
  }
}

// A ResNet's training steps replayed from a captured graph against the CPU backend's eager steps:
// the residual blocks' adds, the projections' strided 1x1 convolutions and the global pooling
// inside the graph. SGD (its update is linear in the gradient: model_step_test.cpp says why), three
// steps at changing rates; the parameters are compared per tensor by relative Euclidean error at
// 5e-3 (model_step_test.cpp's bound for one step; three steps of rounding stay near 1e-5).
TEST_CASE("cuda graphs: a ResNet's captured training steps match the CPU's eager steps",
          "[cuda][graph]") {
  const ModelConfig mc = small_resnet();
  TrainConfig tc;
  tc.optimizer = OptimizerKind::sgd;
  tc.momentum = 0.9;
  tc.lr = 0.05;
  tc.seed = 23;
  tc.cuda_graph = true;
  const int64_t batch = 16;
  const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, 931);
  const auto y = labels(static_cast<size_t>(batch), 10, 932);
  ModelRun ref(cpu(), mc, tc, 10, batch, x, y);
  ModelRun dev(gpu(), mc, tc, 10, batch, x, y);
  const std::vector<float> p0 = ref.params();
  REQUIRE(dev.params() == p0);
  for (int step = 0; step < 3; ++step) {
    const float lr = 0.05f / static_cast<float>(step + 1);
    ref.runner->train_batch(batch, lr);
    dev.runner->train_batch(batch, lr);
  }
  // Eager once, captured and replayed at the second step, replayed at the third.
  dev.check_graphs(1, 2);
  const std::vector<float> pr = ref.params(), pd = dev.params();
  for (const NamedTensor& nt : ref.model->named_tensors()) {
    if (nt.group == ParamGroup::buffer) continue;
    int64_t numel = 1;
    for (int64_t d : nt.shape) numel *= d;
    const auto first = static_cast<size_t>(nt.offset), last = first + static_cast<size_t>(numel);
    std::vector<float> ur(last - first), ud(last - first);
    for (size_t i = first; i < last; ++i) {
      ur[i - first] = pr[i] - p0[i];
      ud[i - first] = pd[i] - p0[i];
    }
    INFO(nt.name << ": relative L2 error of the change over 3 steps " << relative_l2(ud, ur));
    CHECK(relative_l2(ud, ur) <= 5e-3);
  }
}
