#include "emnist/layers.hpp"

namespace emnist {
namespace {

// NCHW is already contiguous per sample, so flattening is only a different shape on the same
// memory.
class Flatten final : public Layer {
 public:
  explicit Flatten(SampleShape input) : Layer(input) {}
  std::string kind() const override { return "flatten"; }
  SampleShape output_shape() const override { return SampleShape::features(input_shape().numel()); }
  bool is_view() const override { return true; }
  void forward(Backend&, const Tensor&, const Tensor&, const StepContext&) override {}
  void backward(Backend&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                const StepContext&) override {}
};

}  // namespace

std::unique_ptr<Layer> make_flatten(SampleShape input) { return std::make_unique<Flatten>(input); }

}  // namespace emnist
