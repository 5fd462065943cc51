#pragma once
// A layer with a weight whose first dimension is its outputs and an optional bias of one value per
// output (Linear: [out, in]; Conv2d: [out, in, k, k]): their parameters as PyTorch declares and
// initialises them (uniform in +-1/sqrt(fan_in), fan_in = the weight's elements per output), bound
// to the model's flat buffers, and as views on a device.
#include <cstdint>
#include <utility>
#include <vector>

#include "emnist/layers.hpp"

namespace emnist {

class WeightedLayer : public Layer {
 public:
  WeightedLayer(SampleShape input, std::vector<int64_t> weight_shape, bool bias)
      : Layer(input), weight_shape_(std::move(weight_shape)), bias_(bias) {}

  std::vector<ParamSpec> param_specs() const override {
    const int64_t fan_in = ParamSpec{"weight", weight_shape_}.numel() / outputs();
    std::vector<ParamSpec> specs{
        {"weight", weight_shape_, ParamGroup::weight, ParamInit::fan_in_uniform, fan_in}};
    if (bias_)
      specs.push_back({"bias", {outputs()}, ParamGroup::other, ParamInit::fan_in_uniform, fan_in});
    return specs;
  }
  void bind_params(const std::vector<float*>& values, const std::vector<float*>& grads) override {
    w_ = values[0];
    dw_ = grads[0];
    if (bias_) {
      b_ = values[1];
      db_ = grads[1];
    }
  }

 protected:
  int64_t outputs() const { return weight_shape_.front(); }
  Tensor weight(Device d) const { return weight_view(w_, d); }
  Tensor weight_grad(Device d) const { return weight_view(dw_, d); }
  // Empty views without a bias: the backends then add none and compute no gradient.
  Tensor bias(Device d) const { return bias_ ? Tensor(b_, {outputs()}, d) : Tensor{}; }
  Tensor bias_grad(Device d) const { return bias_ ? Tensor(db_, {outputs()}, d) : Tensor{}; }

 private:
  Tensor weight_view(float* p, Device d) const {
    Tensor t(p, {}, d);
    for (const int64_t dim : weight_shape_) t.shape[static_cast<size_t>(t.rank++)] = dim;
    return t;
  }

  std::vector<int64_t> weight_shape_;
  bool bias_;
  float *w_ = nullptr, *dw_ = nullptr, *b_ = nullptr, *db_ = nullptr;
};

}  // namespace emnist
