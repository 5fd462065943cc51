#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

// Not in place: a preceding activation's backward reads its own output, and scaling that output by
// 1/(1-p) would change ELU's derivative.
class Dropout final : public Layer {
 public:
  Dropout(SampleShape input, float p, uint64_t seed, uint32_t layer)
      : Layer(input), p_(p), seed_(seed), layer_(layer) {
    if (!(p >= 0.0f && p < 1.0f)) throw std::invalid_argument("dropout: p must be in [0, 1)");
  }
  std::string kind() const override { return "dropout"; }
  SampleShape output_shape() const override { return input_shape(); }

  void forward(Backend& backend, const Tensor& x, const Tensor& y,
               const StepContext& ctx) override {
    if (ctx.mode == Mode::train) {
      backend.dropout_forward(x, y, p_, seed_, layer_, ctx.scalars);
    } else {
      backend.copy(y.data, x.data, sizeof(float) * static_cast<size_t>(x.numel()));
    }
  }
  void backward(Backend& backend, const Tensor&, const Tensor&, const Tensor& dy, const Tensor& dx,
                const StepContext& ctx) override {
    if (!dx.empty()) backend.dropout_backward(dy, dx, p_, seed_, layer_, ctx.scalars);
  }

 private:
  float p_;
  uint64_t seed_;
  uint32_t layer_;
};

// Dropout that the batch norm before it applies (BatchNormDropout): an identity view of that
// layer's output, named as dropout.
class FusedDropout final : public Layer {
 public:
  using Layer::Layer;
  std::string kind() const override { return "dropout"; }
  SampleShape output_shape() const override { return input_shape(); }
  bool is_view() const override { return true; }
  void forward(Backend&, const Tensor&, const Tensor&, const StepContext&) override {}
  void backward(Backend&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                const StepContext&) override {}
};

}  // namespace

std::unique_ptr<Layer> make_fused_dropout(SampleShape input) {
  return std::make_unique<FusedDropout>(input);
}

std::unique_ptr<Layer> make_dropout(SampleShape input, float p, uint64_t seed, uint32_t layer) {
  return std::make_unique<Dropout>(input, p, seed, layer);
}

}  // namespace emnist
