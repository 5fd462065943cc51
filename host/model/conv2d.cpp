#include <stdexcept>

#include "model/weighted_layer.hpp"

namespace emnist {
namespace {

class Conv2d final : public WeightedLayer {
 public:
  Conv2d(SampleShape input, int64_t out, int kernel, bool bias, int stride, bool accumulate_dx)
      : WeightedLayer(input, {out, input.rank == 3 ? input.dim(0) : 0, kernel, kernel}, bias) {
    if (input.rank != 3)
      throw std::invalid_argument("conv2d: input must be [C, H, W], got " + input.str());
    if (kernel < 1 || kernel % 2 == 0)
      throw std::invalid_argument("conv2d: kernel must be odd for same padding");
    if (stride < 1) throw std::invalid_argument("conv2d: stride must be at least 1");
    params_.stride = stride;
    params_.pad = kernel / 2;
    params_.accumulate_dx = accumulate_dx;
  }
  std::string kind() const override { return "conv2d"; }
  bool takes_nchw16c(bool, bool) const override { return true; }
  SampleShape output_shape() const override {
    // Odd kernel, pad K/2: the spatial size is kept at stride 1, ceil(size / stride) otherwise.
    const auto out_size = [&](int64_t size) {
      return (size + 2 * params_.pad - (2 * params_.pad + 1)) / params_.stride + 1;
    };
    return SampleShape::image(outputs(), out_size(input_shape().dim(1)),
                              out_size(input_shape().dim(2)));
  }

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    const Device d = backend.device();
    backend.conv2d_forward(x, weight(d), bias(d), y, params_);
  }
  void backward(Backend& backend, const Tensor& x, const Tensor&, const Tensor& dy,
                const Tensor& dx, const StepContext&) override {
    const Device d = backend.device();
    backend.conv2d_backward(x, weight(d), dy, dx, weight_grad(d), bias_grad(d), params_);
  }

 private:
  Conv2dParams params_;
};

}  // namespace

std::unique_ptr<Layer> make_conv2d(SampleShape input, int64_t out_channels, int kernel, bool bias,
                                   int stride, bool accumulate_dx) {
  return std::make_unique<Conv2d>(input, out_channels, kernel, bias, stride, accumulate_dx);
}

}  // namespace emnist
