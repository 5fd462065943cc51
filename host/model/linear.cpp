#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

class Linear final : public Layer {
 public:
  Linear(SampleShape input, int64_t out, bool bias) : Layer(input), out_(out), bias_(bias) {
    if (input.rank != 1)
      throw std::invalid_argument("linear: input must be [features], got " + input.str());
  }
  std::string kind() const override { return "linear"; }
  SampleShape output_shape() const override { return SampleShape::features(out_); }

  std::vector<ParamSpec> param_specs() const override {
    const int64_t in = input_shape().dim(0);
    std::vector<ParamSpec> specs{
        {"weight", {out_, in}, ParamGroup::weight, ParamInit::fan_in_uniform, in}};
    if (bias_) specs.push_back({"bias", {out_}, ParamGroup::other, ParamInit::fan_in_uniform, in});
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
    backend.linear_forward(x, weight(backend.device()), bias(b_, backend.device()), y);
  }
  void backward(Backend& backend, const Tensor& x, const Tensor&, const Tensor& dy,
                const Tensor& dx, const StepContext&) override {
    const Device d = backend.device();
    backend.linear_backward(x, weight(d), dy, dx, Tensor(dw_, {out_, input_shape().dim(0)}, d),
                            bias(db_, d));
  }

 private:
  Tensor weight(Device d) const { return Tensor(w_, {out_, input_shape().dim(0)}, d); }
  Tensor bias(float* p, Device d) const { return bias_ ? Tensor(p, {out_}, d) : Tensor{}; }

  int64_t out_;
  bool bias_;
  float *w_ = nullptr, *dw_ = nullptr, *b_ = nullptr, *db_ = nullptr;
};

}  // namespace

std::unique_ptr<Layer> make_linear(SampleShape input, int64_t out_features, bool bias) {
  return std::make_unique<Linear>(input, out_features, bias);
}

}  // namespace emnist
