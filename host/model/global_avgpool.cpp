#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

// [C, H, W] -> [C, 1, 1], each plane's mean: PyTorch's AdaptiveAvgPool2d(1) (a flatten follows
// it in a model, as in PyTorch).
class GlobalAvgPool final : public Layer {
 public:
  explicit GlobalAvgPool(SampleShape input) : Layer(input) {
    if (input.rank != 3)
      throw std::invalid_argument("global average pooling: input must be [C, H, W], got " +
                                  input.str());
  }
  std::string kind() const override { return "global_avgpool"; }
  // Its input (the output has one position a plane, so it is plain).
  bool takes_nchw16c(bool, bool y) const override { return !y; }
  SampleShape output_shape() const override {
    return SampleShape::image(input_shape().dim(0), 1, 1);
  }

  void forward(Backend& backend, const Tensor& x, const Tensor& y, const StepContext&) override {
    backend.global_avgpool_forward(x, means(y));
  }
  void backward(Backend& backend, const Tensor&, const Tensor&, const Tensor& dy, const Tensor& dx,
                const StepContext&) override {
    if (!dx.empty()) backend.global_avgpool_backward(means(dy), dx);
  }

 private:
  // [N, C, 1, 1] as the op's [N, C].
  static Tensor means(const Tensor& t) { return Tensor(t.data, {t.dim(0), t.dim(1)}, t.device); }
};

}  // namespace

std::unique_ptr<Layer> make_global_avgpool(SampleShape input) {
  return std::make_unique<GlobalAvgPool>(input);
}

}  // namespace emnist
