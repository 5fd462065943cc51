#include "emnist/choices.hpp"
#include "emnist/layers.hpp"

namespace emnist {
namespace {

class ActivationLayer final : public Layer {
 public:
  ActivationLayer(SampleShape input, Activation activation) : Layer(input), a_(activation) {}
  std::string kind() const override { return std::string(choice_name(a_.kind)); }
  SampleShape output_shape() const override { return input_shape(); }
  // The derivative is a function of the output (element_math.hpp), so the input is not needed.
  bool in_place() const override { return true; }
  bool backward_reads_output() const override { return true; }
  bool takes_nchw16c(bool x, bool y) const override { return x == y; }  // element by element

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    backend.activation_forward(a_, x, y);
  }
  void backward(Backend& backend, const Tensor&, const Tensor& y, const Tensor& dy,
                const Tensor& dx, const StepContext&) override {
    if (!dx.empty()) backend.activation_backward(a_, y, dy, dx);
  }

 private:
  Activation a_;
};

class FusedActivation final : public Layer {
 public:
  FusedActivation(SampleShape input, Activation activation) : Layer(input), a_(activation) {}
  std::string kind() const override { return std::string(choice_name(a_.kind)); }
  SampleShape output_shape() const override { return input_shape(); }
  bool is_view() const override { return true; }
  bool takes_nchw16c(bool x, bool y) const override { return x == y; }
  void forward(Backend&, const Tensor&, const Tensor&, const StepContext&) override {}
  void backward(Backend&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                const StepContext&) override {}

 private:
  Activation a_;
};

}  // namespace

std::unique_ptr<Layer> make_fused_activation(SampleShape input, Activation activation) {
  return std::make_unique<FusedActivation>(input, activation);
}

std::unique_ptr<Layer> make_activation(SampleShape input, Activation activation) {
  return std::make_unique<ActivationLayer>(input, activation);
}

}  // namespace emnist
