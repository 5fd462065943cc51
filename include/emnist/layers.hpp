#pragma once
// Layers, Caffe-style: each knows its output shape from its input shape, declares its parameters
// (the model owns their memory), and runs forward and backward through the Backend interface only,
// so the same layer code drives the CPU and the CUDA backend.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/tensor.hpp"

namespace emnist {

// The shape of one sample: [features] or [channels, height, width]. The batch dimension is left out
// because the same layer runs on full training batches and on a smaller last evaluation batch.
struct SampleShape {
  std::array<int64_t, 3> dims{};
  int rank = 0;

  static SampleShape features(int64_t f) { return {{f, 0, 0}, 1}; }
  static SampleShape image(int64_t c, int64_t h, int64_t w) { return {{c, h, w}, 3}; }
  int64_t dim(int i) const { return dims[static_cast<size_t>(i)]; }
  int64_t numel() const;
  std::string str() const;
  bool operator==(const SampleShape&) const = default;
};

// A batch of `n` samples of `shape` at `data`.
Tensor batch_view(float* data, int64_t n, const SampleShape& shape, Device device);

// Trained weights (Linear and Conv2d matrices) come first in the flat parameter buffer, so L1
// regularisation and weight decay are single calls over a prefix; biases and batch-norm scales and
// shifts follow. Buffers (running statistics) are saved but never trained.
enum class ParamGroup { weight, other, buffer };
enum class ParamInit { fan_in_uniform, ones, zeros };

struct ParamSpec {
  std::string name;  // as PyTorch names it: weight, bias, running_mean, running_var
  std::vector<int64_t> shape;
  ParamGroup group = ParamGroup::weight;
  ParamInit init = ParamInit::zeros;
  int64_t fan_in = 0;  // for fan_in_uniform: U(-1/sqrt(fan_in), 1/sqrt(fan_in))

  int64_t numel() const;
};

enum class Mode { train, infer };

struct StepContext {
  Mode mode = Mode::train;
  const StepScalars* scalars = nullptr;  // backend memory; the step counter seeds dropout masks
};

class Layer {
 public:
  explicit Layer(SampleShape input) : input_(input) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  virtual std::string kind() const = 0;
  const SampleShape& input_shape() const { return input_; }
  virtual SampleShape output_shape() const = 0;

  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  // One value pointer per spec, in spec order; grads are null for buffers.
  virtual void bind_params(const std::vector<float*>& /*values*/,
                           const std::vector<float*>& /*grads*/) {}
  // Scratch that lives from forward to backward (argmax, saved batch statistics).
  virtual size_t workspace_bytes(int64_t /*max_batch*/) const { return 0; }
  virtual void bind_workspace(void* /*workspace*/) {}

  // The output may overwrite the input (the model decides whether it is safe).
  virtual bool in_place() const { return false; }
  // The output is the input reinterpreted: forward and backward do nothing.
  virtual bool is_view() const { return false; }
  // Backward reads this layer's output, so no later layer may overwrite it in place.
  virtual bool backward_reads_output() const { return false; }
  // Forward and backward take x (and dx) in the nchw16c layout (tensor.hpp) where `x` says, y (and
  // dy) where `y` says, the other plain (at least one is nchw16c; the model's input is plain).
  virtual bool takes_nchw16c(bool /*x*/, bool /*y*/) const { return false; }

  virtual void forward(Backend& backend, const Tensor& x, const Tensor& y,
                       const StepContext& ctx) = 0;
  // dx may be empty (the first layer): then only parameter gradients are computed.
  virtual void backward(Backend& backend, const Tensor& x, const Tensor& y, const Tensor& dy,
                        const Tensor& dx, const StepContext& ctx) = 0;

  int64_t parameter_count() const;  // trained values only

 private:
  SampleShape input_;
};

// ---- the layer kinds
// --------------------------------------------------------------------------------- Input
// [features]; weight [out, in], optional bias [out].
std::unique_ptr<Layer> make_linear(SampleShape input, int64_t out_features, bool bias);
// Input [C, H, W]; weight [O, C, K, K] (K odd), optional bias [O]; padding K/2: "same" at stride
// 1, (H - 1) / stride + 1 rows at a larger stride.
// accumulate_dx: backward adds its input gradient to dx (Conv2dParams::accumulate_dx).
std::unique_ptr<Layer> make_conv2d(SampleShape input, int64_t out_channels, int kernel, bool bias,
                                   int stride = 1, bool accumulate_dx = false);
// Input [C] (1d) or [C, H, W] (2d): gamma (weight), beta (bias), running mean and variance.
class BatchNormLayer : public Layer {
 public:
  using Layer::Layer;
  // A plain batch norm's forward (no activation of its own) as the tail of a residual block: y =
  // activation(batch norm of x + shortcut) in one pass (BatchNormParams::residual). Its backward
  // stays batch norm's own, from the gradient at the sum.
  virtual void forward_add_activate(Backend& backend, const Tensor& x, const Tensor& shortcut,
                                    Activation activation, const Tensor& y,
                                    const StepContext& ctx) = 0;
};
std::unique_ptr<BatchNormLayer> make_batchnorm(SampleShape input, BatchNormParams params = {});
// In place.
std::unique_ptr<Layer> make_activation(SampleShape input, Activation activation);
// The activation that the batch norm before it applies (BatchNormParams::activate): an identity
// view of that layer's output, named as the activation.
std::unique_ptr<Layer> make_fused_activation(SampleShape input, Activation activation);
// Inverted dropout; `layer` (the layer's index in the model) keeps each layer's mask stream apart.
std::unique_ptr<Layer> make_dropout(SampleShape input, float p, uint64_t seed, uint32_t layer);
// The dropout that the batch norm before it applies (BatchNormParams::dropout): an identity view
// of that layer's output, named as dropout.
std::unique_ptr<Layer> make_fused_dropout(SampleShape input);
// 2x2, stride 2, floor.
std::unique_ptr<Layer> make_maxpool2x2(SampleShape input);
// [C, H, W] -> [C*H*W], a view.
std::unique_ptr<Layer> make_flatten(SampleShape input);
// [C, H, W] -> [C, 1, 1], each plane's mean (PyTorch's AdaptiveAvgPool2d(1)).
std::unique_ptr<Layer> make_global_avgpool(SampleShape input);
// A basic residual block [C, H, W] -> [O, (H - 1) / stride + 1, (W - 1) / stride + 1]:
// activation(BN(conv3x3(activation(BN(conv3x3/stride(x))))) + shortcut(x)), the shortcut the
// identity where the shape is kept, else BN(conv1x1/stride(x)). Parameters body.{0,1,3,4}.* and
// shortcut.{0,1}.*, as PyTorch names a module with those two nn.Sequentials.
std::unique_ptr<Layer> make_residual_block(SampleShape input, int64_t out_channels, int stride,
                                           Activation activation);

}  // namespace emnist
