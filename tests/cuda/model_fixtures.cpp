#include "model_fixtures.hpp"

#include <catch2/catch.hpp>

#include "emnist/element_math.hpp"
#include "support/train_fixtures.hpp"

namespace emnist::cuda_test {

ModelConfig reference_mlp() {
  ModelConfig c;
  c.kind = ModelKind::mlp;
  c.hidden = {512, 256, 128};
  c.batch_norm = true;
  c.dropout = 0.2;
  return c;
}

ModelConfig small_cnn() {
  ModelConfig c;
  c.kind = ModelKind::cnn;
  c.conv = {{false, 8}, {false, 8}, {true, 0}, {false, 16}, {true, 0}};
  c.hidden = {32};
  c.kernel = 3;
  c.activation.kind = ActivationKind::elu;
  c.batch_norm = true;
  c.dropout = 0.3;
  return c;
}

ModelConfig small_resnet() {
  ModelConfig c = train_test::small_resnet();
  c.activation.kind = ActivationKind::leaky_relu;
  c.dropout = 0.2;
  return c;
}

ModelRun::ModelRun(Backend& backend, const ModelConfig& mc, const TrainConfig& tc, int classes,
                   int64_t batch, const std::vector<float>& x, const std::vector<int32_t>& y) {
  model = make_model(backend, mc, 28, 28, classes, batch, tc.seed);
  model->initialize(tc.seed);
  runner = std::make_unique<StepRunner>(*model, tc);
  backend.copy_from_host(model->input(batch).data, x.data(), sizeof(float) * x.size());
  backend.copy_from_host(model->labels(), y.data(), sizeof(int32_t) * y.size());
}

std::vector<float> ModelRun::logits(int64_t batch) const {
  const Tensor t = model->logits(batch);
  std::vector<float> out(static_cast<size_t>(t.numel()));
  model->backend().copy_to_host(out.data(), t.data, sizeof(float) * out.size());
  return out;
}

std::vector<float> ModelRun::grads() const {
  const Tensor t = model->grads();
  std::vector<float> out(static_cast<size_t>(t.numel()));
  model->backend().copy_to_host(out.data(), t.data, sizeof(float) * out.size());
  return out;
}

std::vector<float> ModelRun::params() const {
  const Tensor t = model->params();
  std::vector<float> out(static_cast<size_t>(t.numel()));
  model->backend().copy_to_host(out.data(), t.data, sizeof(float) * out.size());
  return out;
}

void ModelRun::check_graphs(int64_t captures, int64_t replays) const {
  const GraphCounts& counts = runner->graph_counts();
  CHECK(counts.failed_captures == 0);
  CHECK(counts.captures == captures);
  CHECK(counts.replays == replays);
}

}  // namespace emnist::cuda_test
