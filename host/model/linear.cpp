#include <stdexcept>

#include "model/weighted_layer.hpp"

namespace emnist {
namespace {

class Linear final : public WeightedLayer {
 public:
  Linear(SampleShape input, int64_t out, bool bias)
      : WeightedLayer(input, {out, input.rank == 1 ? input.dim(0) : 0}, bias) {
    if (input.rank != 1)
      throw std::invalid_argument("linear: input must be [features], got " + input.str());
  }
  std::string kind() const override { return "linear"; }
  SampleShape output_shape() const override { return SampleShape::features(outputs()); }

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    const Device d = backend.device();
    backend.linear_forward(x, weight(d), bias(d), y);
  }
  void backward(Backend& backend, const Tensor& x, const Tensor&, const Tensor& dy,
                const Tensor& dx, const StepContext&) override {
    const Device d = backend.device();
    backend.linear_backward(x, weight(d), dy, dx, weight_grad(d), bias_grad(d));
  }
};

}  // namespace

std::unique_ptr<Layer> make_linear(SampleShape input, int64_t out_features, bool bias) {
  return std::make_unique<Linear>(input, out_features, bias);
}

}  // namespace emnist
