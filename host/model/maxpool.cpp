#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

class MaxPool2x2 final : public Layer {
 public:
  explicit MaxPool2x2(SampleShape input) : Layer(input) {
    if (input.rank != 3 || input.dim(1) < 2 || input.dim(2) < 2)
      throw std::invalid_argument("maxpool2x2: input must be [C, H, W] with H, W >= 2, got " +
                                  input.str());
  }
  std::string kind() const override { return "maxpool2x2"; }
  // Its output in either layout from an nchw16c input: plain before a flatten.
  bool takes_nchw16c(bool x, bool y) const override { return x || !y; }
  SampleShape output_shape() const override {
    const SampleShape& in = input_shape();
    return SampleShape::image(in.dim(0), in.dim(1) / 2, in.dim(2) / 2);
  }
  size_t workspace_bytes(int64_t max_batch) const override {
    return sizeof(int32_t) * static_cast<size_t>(max_batch * output_shape().numel());
  }
  void bind_workspace(void* workspace) override { argmax_ = static_cast<int32_t*>(workspace); }

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    backend.maxpool2d_forward(x, y, argmax_);
  }
  void backward(Backend& backend, const Tensor&, const Tensor&, const Tensor& dy, const Tensor& dx,
                const StepContext&) override {
    if (!dx.empty()) backend.maxpool2d_backward(dy, argmax_, dx);
  }

 private:
  int32_t* argmax_ = nullptr;
};

}  // namespace

std::unique_ptr<Layer> make_maxpool2x2(SampleShape input) {
  return std::make_unique<MaxPool2x2>(input);
}

}  // namespace emnist
