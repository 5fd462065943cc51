#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

class Conv2d final : public Layer {
 public:
  Conv2d(SampleShape input, int64_t out, int kernel, bool bias)
      : Layer(input), out_(out), k_(kernel), bias_(bias) {
    if (input.rank != 3)
      throw std::invalid_argument("conv2d: input must be [C, H, W], got " + input.str());
    if (kernel < 1 || kernel % 2 == 0)
      throw std::invalid_argument("conv2d: kernel must be odd for same padding");
    params_.stride = 1;
    params_.pad = kernel / 2;
  }
  std::string kind() const override { return "conv2d"; }
  SampleShape output_shape() const override {
    // Odd kernel, pad K/2, stride 1: the spatial size is kept.
    return SampleShape::image(out_, input_shape().dim(1), input_shape().dim(2));
  }

  std::vector<ParamSpec> param_specs() const override {
    const int64_t c = input_shape().dim(0);
    const int64_t fan_in = c * k_ * k_;
    std::vector<ParamSpec> specs{
        {"weight", {out_, c, k_, k_}, ParamGroup::weight, ParamInit::fan_in_uniform, fan_in}};
    if (bias_)
      specs.push_back({"bias", {out_}, ParamGroup::other, ParamInit::fan_in_uniform, fan_in});
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

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    const Device d = backend.device();
    backend.conv2d_forward(x, weight(w_, d), bias(b_, d), y, params_);
  }
  void backward(Backend& backend, const Tensor& x, const Tensor&, const Tensor& dy,
                const Tensor& dx, const StepContext&) override {
    const Device d = backend.device();
    backend.conv2d_backward(x, weight(w_, d), dy, dx, weight(dw_, d), bias(db_, d), params_);
  }

 private:
  Tensor weight(float* p, Device d) const {
    return Tensor(p, {out_, input_shape().dim(0), k_, k_}, d);
  }
  Tensor bias(float* p, Device d) const { return bias_ ? Tensor(p, {out_}, d) : Tensor{}; }

  int64_t out_;
  int64_t k_;
  bool bias_;
  Conv2dParams params_;
  float *w_ = nullptr, *dw_ = nullptr, *b_ = nullptr, *db_ = nullptr;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(SampleShape input, int64_t out_channels, int kernel, bool bias) {
  return std::make_unique<Conv2d>(input, out_channels, kernel, bias);
}

}  // namespace emnist
