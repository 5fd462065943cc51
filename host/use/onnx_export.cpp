// The ONNX graph is written from the layers build_layers makes for the run's config, walked in
// order, with the weights of model.safetensors under the same names; the ONNX library's checker
// validates the whole model before a byte is written.
#include "emnist/onnx_export.hpp"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "emnist/config.hpp"
#include "emnist/error.hpp"
#include "emnist/layers.hpp"
#include "emnist/model.hpp"
#include "emnist/predict.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/safetensors.hpp"
#include "emnist/summary.hpp"
#include "text_file.hpp"
#include "use/finished_run.hpp"

namespace emnist {
namespace {

// The graph under construction: nodes, initializers from the state dict, fresh value names.
class GraphWriter {
 public:
  GraphWriter(onnx::GraphProto& graph, const TensorMap& weights)
      : graph_(graph), weights_(weights) {}

  // A node of `op` on `inputs`, its output a fresh name (or `output`); returns the output.
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::string& output = {}) {
    onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(fmt::format("{}_{}", op, graph_.node_size()));
    for (const auto& input : inputs) n->add_input(input);
    const std::string out = output.empty() ? fmt::format("t{}", next_++) : output;
    n->add_output(out);
    last_ = n;
    return out;
  }
  // Attributes of the last node.
  void attribute(const std::string& name, int64_t value) {
    auto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  void attribute(const std::string& name, float value) {
    auto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
  }
  void attribute(const std::string& name, const std::vector<int64_t>& values) {
    auto* a = last_->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  // The state-dict tensor `name` as an initializer (once); its name in the graph is the same.
  std::string weight(const std::string& name) {
    const auto it = weights_.find(name);
    if (it == weights_.end())
      throw UserError(
          fmt::format("model.safetensors has no tensor {}; the run's config.toml and "
                      "its weights disagree",
                      name));
    if (added_.insert(name).second) {
      onnx::TensorProto* t = graph_.add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::FLOAT);
      for (int64_t d : it->second.shape) t->add_dims(d);
      t->set_raw_data(std::string(reinterpret_cast<const char*>(it->second.values.data()),
                                  it->second.values.size() * sizeof(float)));
    }
    return name;
  }
  bool has(const std::string& name) const { return weights_.count(name) != 0; }
  const std::vector<int64_t>& shape(const std::string& name) {
    weight(name);
    return weights_.at(name).shape;
  }

 private:
  onnx::GraphProto& graph_;
  const TensorMap& weights_;
  std::set<std::string> added_;
  onnx::NodeProto* last_ = nullptr;
  int next_ = 0;
};

std::string activation(GraphWriter& g, const std::string& x, const Activation& a) {
  switch (a.kind) {
    case ActivationKind::relu:
      return g.node("Relu", {x});
    case ActivationKind::leaky_relu: {
      const std::string y = g.node("LeakyRelu", {x});
      g.attribute("alpha", a.leaky_slope);
      return y;
    }
    case ActivationKind::elu: {
      const std::string y = g.node("Elu", {x});
      g.attribute("alpha", a.elu_alpha);
      return y;
    }
  }
  return x;
}

// Conv of the state dict's kernel at `prefix`, "same" padding (k / 2) and the stride that maps
// `in` onto `out` (1, or 2 where the map halves, rounding up).
std::string conv(GraphWriter& g, const std::string& x, const std::string& prefix,
                 const SampleShape& in, const SampleShape& out) {
  std::vector<std::string> inputs{x, g.weight(prefix + "weight")};
  if (g.has(prefix + "bias")) inputs.push_back(g.weight(prefix + "bias"));
  const int64_t kernel = g.shape(prefix + "weight").at(2);
  const int64_t stride = in.dim(1) == out.dim(1) ? 1 : 2;
  if (out.dim(1) != (in.dim(1) + stride - 1) / stride)
    throw std::logic_error(fmt::format("export: a convolution maps {} to {}", in.str(), out.str()));
  const std::string y = g.node("Conv", inputs);
  g.attribute("kernel_shape", std::vector<int64_t>{kernel, kernel});
  g.attribute("pads", std::vector<int64_t>(4, kernel / 2));
  g.attribute("strides", std::vector<int64_t>{stride, stride});
  return y;
}

std::string batch_norm(GraphWriter& g, const std::string& x, const std::string& prefix) {
  const std::string y = g.node(
      "BatchNormalization", {x, g.weight(prefix + "weight"), g.weight(prefix + "bias"),
                             g.weight(prefix + "running_mean"), g.weight(prefix + "running_var")});
  g.attribute("epsilon", BatchNormParams{}.eps);
  return y;
}

// One layer of the walk: x in, the layer's output out.
std::string layer_node(GraphWriter& g, const Layer& layer, size_t index, const std::string& x,
                       const Activation& act) {
  const std::string prefix = fmt::format("layers.{}.", index);
  const std::string kind = layer.kind();
  const SampleShape in = layer.input_shape(), out = layer.output_shape();
  if (kind == "linear") {
    std::vector<std::string> inputs{x, g.weight(prefix + "weight")};
    if (g.has(prefix + "bias")) inputs.push_back(g.weight(prefix + "bias"));
    const std::string y = g.node("Gemm", inputs);
    g.attribute("transB", int64_t{1});
    return y;
  }
  if (kind == "conv2d") return conv(g, x, prefix, in, out);
  if (kind == "batchnorm1d" || kind == "batchnorm2d") return batch_norm(g, x, prefix);
  // A batch norm's fused activation is an identity in the engine, the activation having run
  // inside the batch norm: here the plain batch norm above and this node make the same function.
  if (kind == "relu" || kind == "leaky_relu" || kind == "elu") return activation(g, x, act);
  if (kind == "dropout") return x;  // inference: the identity
  if (kind == "maxpool2x2") {
    const std::string y = g.node("MaxPool", {x});
    g.attribute("kernel_shape", std::vector<int64_t>{2, 2});
    g.attribute("strides", std::vector<int64_t>{2, 2});
    return y;
  }
  if (kind == "flatten") {
    const std::string y = g.node("Flatten", {x});
    g.attribute("axis", int64_t{1});
    return y;
  }
  if (kind == "global_avgpool") return g.node("GlobalAveragePool", {x});
  if (kind == "residual_block") {
    std::string body = conv(g, x, prefix + "body.0.", in, out);
    body = activation(g, batch_norm(g, body, prefix + "body.1."), act);
    body = batch_norm(g, conv(g, body, prefix + "body.3.", out, out), prefix + "body.4.");
    std::string shortcut = x;
    if (g.has(prefix + "shortcut.0.weight"))
      shortcut = batch_norm(g, conv(g, x, prefix + "shortcut.0.", in, out), prefix + "shortcut.1.");
    return activation(g, g.node("Add", {body, shortcut}), act);
  }
  throw std::logic_error("export: no ONNX form for a layer of kind " + kind);
}

onnx::ValueInfoProto* tensor_info(onnx::ValueInfoProto* info, const std::string& name,
                                  int64_t batch, const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = type->mutable_shape();
  auto* n = shape->add_dim();
  if (batch > 0)
    n->set_dim_value(batch);
  else
    n->set_dim_param("N");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  return info;
}

void metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace

std::filesystem::path export_onnx(const ExportOptions& o) {
  if (o.opset < 13 || o.opset > 17)
    throw UserError(
        fmt::format("--opset {}: allowed 13 to 17 (the ONNX library here knows up to "
                    "17)",
                    o.opset));
  if (o.batch < 0)
    throw UserError(fmt::format("--batch {}: give dynamic or a size of at least 1", o.batch));
  const RunFiles files(o.run);
  const FinishedRun run = read_finished_run(o.run);
  const Config& config = run.config;
  const std::vector<std::string>& classes = run.class_names;
  const TensorMap& weights = run.weights;
  const auto layers =
      build_layers(config.model, model_input_shape(config.model, kEmnistSide, kEmnistSide),
                   static_cast<int>(classes.size()), config.train.seed);

  onnx::ModelProto model;
  model.set_ir_version(8);  // ONNX 1.12's IR version for opsets up to 17
  model.set_producer_name("emnist");
#ifdef EMNIST_VERSION
  model.set_producer_version(EMNIST_VERSION);
#endif
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(o.opset);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(fmt::format("emnist_{}", choice_name(config.model.kind)));
  tensor_info(graph.add_input(), "input", o.batch, {1, kEmnistSide, kEmnistSide});
  GraphWriter g(graph, weights);
  std::string x = "input";
  if (config.model.kind == ModelKind::mlp) {
    x = g.node("Flatten", {x});
    g.attribute("axis", int64_t{1});
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool last = i + 1 == layers.size();
    std::string y = layer_node(g, *layers[i], i, x, config.model.activation);
    if (last) y = g.node("Identity", {y}, "logits");
    x = y;
  }
  g.node("Softmax", {"logits"}, "probabilities");
  g.attribute("axis", int64_t{1});
  const auto n_classes = static_cast<int64_t>(classes.size());
  tensor_info(graph.add_output(), "logits", o.batch, {n_classes});
  tensor_info(graph.add_output(), "probabilities", o.batch, {n_classes});

  metadata(model, "class_names", nlohmann::json(classes).dump());
  metadata(model, "model_kind", std::string(choice_name(config.model.kind)));
  metadata(model, "preprocessing",
           "input: float32 [N, 1, 28, 28], upright, values x / 255 of the EMNIST-form image "
           "(light ink on dark; emnist predict's preprocessing makes that form from any picture)");
  const auto summary = nlohmann::json::parse(read_text(files.summary()), nullptr, false);
  if (!summary.is_discarded() && summary.contains("metrics"))
    metadata(model, "test_accuracy", summary["metrics"]["test"]["accuracy"].dump());
  metadata(model, "emnist_commit", build_commit());

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw std::logic_error(std::string("export: the ONNX checker refused the graph: ") + e.what());
  }
  const std::filesystem::path out = o.out.empty() ? o.run / "model.onnx" : o.out;
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw std::runtime_error("export: serialising failed");
  write_file_atomic(out, bytes);
  return out;
}

}  // namespace emnist
