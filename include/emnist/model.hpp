#pragma once
// A sequential model built from ModelConfig. It owns the flat parameter buffer (with its gradients
// in the same layout), the running-statistics buffers, and one arena for activations, gradients and
// layer scratch sized for `max_batch`, so that neither training nor evaluation allocates per step.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emnist/arena.hpp"
#include "emnist/backend.hpp"
#include "emnist/config.hpp"
#include "emnist/layers.hpp"
#include "emnist/safetensors.hpp"

namespace emnist {

// Where one named tensor lives in the model's memory.
struct NamedTensor {
  std::string name;  // "layers.<index>.<param>", as a PyTorch nn.Sequential names it
  std::vector<int64_t> shape;
  ParamGroup group = ParamGroup::weight;
  int64_t offset = 0;  // elements into the parameter buffer, or into the buffer of buffers
};

// Where a batch goes: a model's input for up to max_batch samples and their labels, in the
// backend's memory. Feeders write here and know nothing else of the model.
struct BatchView {
  Tensor inputs;              // [max_batch, ...sample shape]
  int32_t* labels = nullptr;  // [max_batch]

  int64_t max_batch() const { return inputs.dim(0); }
  int64_t sample_size() const { return inputs.per_sample(); }
  // The first n samples' input, [n, ...sample shape].
  Tensor input(int64_t n) const {
    Tensor t = inputs;
    t.shape[0] = n;
    return t;
  }
};

class Model {
 public:
  // Lays out and allocates everything for these layers (in order; the first takes the input). The
  // parameters are left at zero: call initialize() or load_state_dict().
  Model(Backend& backend, std::vector<std::unique_ptr<Layer>> layers, int64_t max_batch);

  Backend& backend() const { return backend_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  const SampleShape& input_shape() const { return input_shape_; }
  int num_classes() const { return static_cast<int>(layers_.back()->output_shape().dim(0)); }
  int64_t max_batch() const { return max_batch_; }

  int64_t parameter_count() const { return param_count_; }
  int64_t weight_count() const { return weight_count_; }  // the prefix of Linear/Conv weights
  int64_t buffer_count() const { return buffer_count_; }
  Tensor params() const;
  Tensor grads() const;
  Tensor weights() const;       // prefix of params()
  Tensor weight_grads() const;  // prefix of grads()
  Tensor buffers() const;
  const std::vector<NamedTensor>& named_tensors() const { return named_; }

  // PyTorch's default initialisation, drawn with math::uniform01(seed, kStreamInit, element index
  // in the parameter buffer) so it is the same on every backend.
  void initialize(uint64_t seed);

  // Batch input [n, ...input_shape] and labels [n] in backend memory, filled by the caller.
  Tensor input(int64_t n) const;
  int32_t* labels() const { return labels_; }
  // Both, for up to max_batch() samples: what a feeder writes into.
  BatchView batch() const { return BatchView{input(max_batch_), labels_}; }
  Tensor logits(int64_t n) const;
  // The loss writes d(loss)/d(logits) here before backward().
  Tensor dlogits(int64_t n) const;

  void forward(int64_t n, const StepContext& ctx);
  void backward(int64_t n, const StepContext& ctx);  // after forward(n) in train mode

  // Every named tensor, copied to the host (parameters and running statistics).
  TensorMap state_dict() const;
  // UserError naming `source` on a missing, unexpected or wrongly shaped tensor.
  void load_state_dict(const TensorMap& tensors, const std::string& source);

  // Whether any activation between layers is in the nchw16c layout: where the backend asks for it
  // (Backend::nchw16c_activations), each [N, C, H, W] activation with more than one position a
  // plane and C a multiple of 16 (but the input) is, unless a layer on either side of it does not
  // take that (Layer::takes_nchw16c).
  bool nchw16c_activations() const;
  // The layout of layer i's input (i = the number of layers: the output) and of its gradient.
  Layout activation_layout(size_t i) const { return layouts_.at(i); }

  // A short description, one line per layer, for the log.
  std::string describe() const;

 private:
  void check_batch(int64_t n) const;
  Tensor activation(size_t i, int64_t n) const;  // input of layer i (i = layers: model output)

  Backend& backend_;
  std::vector<std::unique_ptr<Layer>> layers_;
  SampleShape input_shape_;
  int64_t max_batch_;
  int64_t param_count_ = 0, weight_count_ = 0, buffer_count_ = 0;
  std::vector<NamedTensor> named_;
  std::vector<std::string> forward_ranges_, backward_ranges_;  // profiler range names per layer
  std::vector<std::vector<int64_t>> offsets_;                  // per layer, per ParamSpec
  DeviceBuffer param_memory_;                                  // params | grads | buffers
  DeviceBuffer arena_;
  float* params_ = nullptr;
  float* grads_ = nullptr;
  float* buffers_ = nullptr;
  std::vector<float*> act_;  // act_[i] = input of layer i, act_[layers] = logits
  std::vector<SampleShape> shapes_;
  std::vector<Layout> layouts_;  // of act_[i] and the gradient of the same shape
  float* grad_buf_[2] = {nullptr, nullptr};
  float* input_ = nullptr;
  int32_t* labels_ = nullptr;
};

// Layers for a ModelConfig (MLP or CNN, see DESIGN.md "Reference models"). Linear and Conv2d layers
// followed by batch norm get no bias. `seed` seeds the dropout masks.
std::vector<std::unique_ptr<Layer>> build_layers(const ModelConfig& config, SampleShape input,
                                                 int num_classes, uint64_t seed);

// The model's input for images of rows x cols: [rows*cols] for an MLP, [1, rows, cols] for a CNN.
SampleShape model_input_shape(const ModelConfig& config, int rows, int cols);

std::unique_ptr<Model> make_model(Backend& backend, const ModelConfig& config, int rows, int cols,
                                  int num_classes, int64_t max_batch, uint64_t seed);

}  // namespace emnist
