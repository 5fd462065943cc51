#include <fmt/format.h>

#include "emnist/error.hpp"
#include "emnist/model.hpp"

namespace emnist {
namespace {

// [BatchNorm], Activation, [Dropout] after a linear or convolution layer. With batch norm the
// activation and the dropout run inside it (a pass over memory fewer each way for each), and their
// own layers are identities that keep their places, so layer indices (which seed dropout's masks)
// and the state dict's names are those of the plain stack.
void add_norm_and_activation(std::vector<std::unique_ptr<Layer>>& layers, SampleShape shape,
                             const ModelConfig& config, float dropout = 0.0f, uint64_t seed = 0) {
  if (!config.batch_norm) {
    layers.push_back(make_activation(shape, config.activation));
    if (dropout > 0.0f)
      layers.push_back(make_dropout(shape, dropout, seed, static_cast<uint32_t>(layers.size())));
    return;
  }
  BatchNormParams params;
  params.activate = true;
  params.activation = config.activation;
  // Batch norm, its activation, then dropout: dropout's index is two past batch norm's.
  if (dropout > 0.0f) {
    params.dropout.p = dropout;
    params.dropout.seed = seed;
    params.dropout.layer = static_cast<uint32_t>(layers.size() + 2);
  }
  layers.push_back(make_batchnorm(shape, params));
  layers.push_back(make_fused_activation(shape, config.activation));
  if (dropout > 0.0f) layers.push_back(make_fused_dropout(shape));
}

// Linear, [BatchNorm1d], Activation, [Dropout]: the hidden block of the MLP and of the CNN head.
void add_dense_block(std::vector<std::unique_ptr<Layer>>& layers, SampleShape& shape, int width,
                     const ModelConfig& config, float dropout, uint64_t seed) {
  layers.push_back(make_linear(shape, width, !config.batch_norm));
  shape = layers.back()->output_shape();
  add_norm_and_activation(layers, shape, config, dropout, seed);
}

// The stem (conv 3x3, batch norm, activation), the stages of residual blocks, global average
// pooling (unless model.pooling = "none"), flatten and dropout: what a ResNet puts before its head.
// As a PyTorch nn.Sequential of the same modules (AdaptiveAvgPool2d(1), Flatten, Dropout) names
// them.
void add_resnet_body(std::vector<std::unique_ptr<Layer>>& layers, SampleShape& shape,
                     const ModelConfig& config, float dropout, uint64_t seed) {
  if (shape.rank != 3) throw UserError("model.kind = \"resnet\" needs image input");
  if (config.stages.size() != config.blocks.size() || config.stages.size() != config.strides.size())
    throw UserError("model.stages, model.blocks and model.strides need one entry a stage each");
  layers.push_back(make_conv2d(shape, config.stem, 3, false));
  shape = layers.back()->output_shape();
  add_norm_and_activation(layers, shape, config);
  for (size_t stage = 0; stage < config.stages.size(); ++stage)
    for (int block = 0; block < config.blocks[stage]; ++block) {
      if (shape.dim(1) < 2 && block == 0 && config.strides[stage] == 2)
        throw UserError(fmt::format("model.strides: stage {} halves a {}x{} map", stage + 1,
                                    shape.dim(1), shape.dim(2)));
      layers.push_back(make_residual_block(
          shape, config.stages[stage], block == 0 ? config.strides[stage] : 1, config.activation));
      shape = layers.back()->output_shape();
    }
  if (config.pooling == ResnetPooling::average) {
    layers.push_back(make_global_avgpool(shape));
    shape = layers.back()->output_shape();
  }
  layers.push_back(make_flatten(shape));
  shape = layers.back()->output_shape();
  if (dropout > 0.0f)
    layers.push_back(make_dropout(shape, dropout, seed, static_cast<uint32_t>(layers.size())));
}

}  // namespace

SampleShape model_input_shape(const ModelConfig& config, int rows, int cols) {
  if (config.kind == ModelKind::mlp) return SampleShape::features(int64_t{rows} * cols);
  return SampleShape::image(1, rows, cols);
}

std::vector<std::unique_ptr<Layer>> build_layers(const ModelConfig& config, SampleShape input,
                                                 int num_classes, uint64_t seed) {
  if (num_classes < 2)
    throw UserError(
        fmt::format("the dataset has {} class(es); training needs at least 2", num_classes));
  std::vector<std::unique_ptr<Layer>> layers;
  SampleShape shape = input;
  const float dropout = static_cast<float>(config.dropout_or_default());
  if (config.kind == ModelKind::mlp) {
    if (shape.rank != 1) throw UserError("model.kind = \"mlp\" needs flat input");
  } else if (config.kind == ModelKind::resnet) {
    add_resnet_body(layers, shape, config, dropout, seed);
  } else {
    if (shape.rank != 3) throw UserError("model.kind = \"cnn\" needs image input");
    for (const ConvItem& item : config.conv) {
      if (item.pool) {
        if (shape.dim(1) < 2 || shape.dim(2) < 2)
          throw UserError(
              fmt::format("model.conv: a \"pool\" meets a {}x{} feature map, too small "
                          "to halve; remove a \"pool\"",
                          shape.dim(1), shape.dim(2)));
        layers.push_back(make_maxpool2x2(shape));
        shape = layers.back()->output_shape();
        continue;
      }
      layers.push_back(make_conv2d(shape, item.channels, config.kernel, !config.batch_norm));
      shape = layers.back()->output_shape();
      add_norm_and_activation(layers, shape, config);
    }
    layers.push_back(make_flatten(shape));
    shape = layers.back()->output_shape();
  }
  for (const int width : config.hidden_or_default()) {
    add_dense_block(layers, shape, width, config, dropout, seed);
    shape = layers.back()->output_shape();
  }
  layers.push_back(make_linear(shape, num_classes, true));
  return layers;
}

std::unique_ptr<Model> make_model(Backend& backend, const ModelConfig& config, int rows, int cols,
                                  int num_classes, int64_t max_batch, uint64_t seed) {
  return std::make_unique<Model>(
      backend, build_layers(config, model_input_shape(config, rows, cols), num_classes, seed),
      max_batch);
}

}  // namespace emnist
