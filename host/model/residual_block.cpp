#include <stdexcept>
#include <string>
#include <utility>

#include "emnist/arena.hpp"
#include "emnist/layers.hpp"

namespace emnist {
namespace {

// The basic residual block of He et al. (2016): a body of conv 3x3 (the block's stride), batch
// norm with the activation inside, conv 3x3, batch norm; a shortcut that is the identity, or a
// strided 1x1 convolution and batch norm where the shape changes; out = activation(body +
// shortcut). Its parameters are named as a PyTorch module with `body` and `shortcut`
// nn.Sequentials names them (body.2 is the activation, which has none). The intermediate
// activations and their gradients live in the layer's workspace.
class ResidualBlock final : public Layer {
 public:
  ResidualBlock(SampleShape input, int64_t out, int stride, Activation activation)
      : Layer(input), activation_(activation) {
    if (input.rank != 3)
      throw std::invalid_argument("residual block: input must be [C, H, W], got " + input.str());
    BatchNormParams activated;
    activated.activate = true;
    activated.activation = activation;
    // The body's first convolution adds its input gradient to the shortcut's (accumulate_dx).
    add_part("body.0.", make_conv2d(input, out, 3, false, stride, true));
    mid_ = parts_.back().second->output_shape();
    add_part("body.1.", make_batchnorm(mid_, activated));
    add_part("body.3.", make_conv2d(mid_, out, 3, false));
    std::unique_ptr<BatchNormLayer> tail = make_batchnorm(mid_);
    tail_ = tail.get();
    add_part("body.4.", std::move(tail));
    if (stride != 1 || out != input.dim(0)) {
      add_part("shortcut.0.", make_conv2d(input, out, 1, false, stride));
      add_part("shortcut.1.", make_batchnorm(mid_));
    }
  }
  std::string kind() const override { return "residual_block"; }
  SampleShape output_shape() const override { return mid_; }
  // The activation's gradient is taken at the output.
  bool backward_reads_output() const override { return true; }
  // The body's and the projection's outputs take the layout of the block's; an identity shortcut
  // adds x to the body's output, so x must be in its layout too.
  bool takes_nchw16c(bool x, bool y) const override { return x == y || projection(); }

  std::vector<ParamSpec> param_specs() const override {
    std::vector<ParamSpec> specs;
    for (const auto& [prefix, layer] : parts_)
      for (ParamSpec spec : layer->param_specs()) {
        spec.name = prefix + spec.name;
        specs.push_back(std::move(spec));
      }
    return specs;
  }
  void bind_params(const std::vector<float*>& values, const std::vector<float*>& grads) override {
    size_t first = 0;
    for (const auto& part : parts_) {
      const size_t count = part.second->param_specs().size();
      const auto slice = [&](const std::vector<float*>& all) {
        return std::vector<float*>(all.begin() + static_cast<std::ptrdiff_t>(first),
                                   all.begin() + static_cast<std::ptrdiff_t>(first + count));
      };
      part.second->bind_params(slice(values), slice(grads));
      first += count;
    }
  }

  // The model asks for the size for its batch, then binds: the layout is that batch's.
  size_t workspace_bytes(int64_t max_batch) const override {
    planned_batch_ = max_batch;
    return plan(max_batch, nullptr).total();
  }
  void bind_workspace(void* workspace) override {
    workspace_ = static_cast<char*>(workspace);
    plan(planned_batch_, &offsets_);
    for (size_t i = 0; i < parts_.size(); ++i)
      parts_[i].second->bind_workspace(workspace_ + offsets_.parts[i]);
  }

  void forward(Backend& backend, const Tensor& x, const Tensor& y,
               const StepContext& ctx) override {
    const Buffers m = buffers(backend, x.dim(0), y.layout);
    part_forward(0, backend, x, m.h1, ctx);
    part_forward(1, backend, m.h1, m.a1, ctx);
    part_forward(2, backend, m.a1, m.h2, ctx);
    if (projection()) {
      part_forward(4, backend, x, m.s1, ctx);
      part_forward(5, backend, m.s1, m.s2, ctx);
    }
    // The body's last batch norm adds the shortcut and applies the activation in its own pass: the
    // sum is never written, nor read back by separate add and activation passes.
    const ScopedRange range(backend, forward_ranges_[3].c_str());
    tail_->forward_add_activate(backend, m.h2, projection() ? m.s2 : x, activation_, y, ctx);
  }

  void backward(Backend& backend, const Tensor& x, const Tensor& y, const Tensor& dy,
                const Tensor& dx, const StepContext& ctx) override {
    const Buffers m = buffers(backend, x.dim(0), y.layout);
    // The sum's gradient reaches both paths. dx gets the shortcut's part first (through an
    // identity shortcut that is the sum's gradient itself, so it is written there), and the body's
    // first convolution adds its own to it in its output pass.
    const Tensor dsum = projection() || dx.empty() ? m.dsum : dx;
    {
      const ScopedRange range(backend, "activation backward");
      backend.activation_backward(activation_, y, dy, dsum);
    }
    // (Batch norm's own backward reads no output.)
    part_backward(3, backend, m.h2, Tensor{}, dsum, m.g1, ctx);
    part_backward(2, backend, m.a1, m.h2, m.g1, m.g2, ctx);
    part_backward(1, backend, m.h1, m.a1, m.g2, m.g1, ctx);
    if (projection()) {
      part_backward(5, backend, m.s1, m.s2, dsum, m.g2, ctx);
      part_backward(4, backend, x, m.s1, m.g2, dx, ctx);
    }
    part_backward(0, backend, x, m.h1, m.g1, dx, ctx);
  }

 private:
  // Views of the workspace for a batch of n, in the layout of the block's output: the body's
  // outputs but the last, the projection's outputs, the sum's gradient (where dx does not hold
  // it), and two gradients of the body's width.
  struct Buffers {
    Tensor h1, a1, h2, s1, s2, dsum, g1, g2;
  };
  struct Offsets {
    size_t h1, a1, h2, s1, s2, dsum, g1, g2;
    std::vector<size_t> parts;
  };
  // The workspace's layout for max_batch samples (offsets into it when `offsets` is given).
  ArenaPlan plan(int64_t max_batch, Offsets* offsets) const {
    ArenaPlan p;
    const int64_t mid = max_batch * mid_.numel();
    Offsets o;
    o.h1 = p.add_array<float>(mid);
    o.a1 = p.add_array<float>(mid);
    o.h2 = p.add_array<float>(mid);
    o.s1 = projection() ? p.add_array<float>(mid) : 0;
    o.s2 = projection() ? p.add_array<float>(mid) : 0;
    o.dsum = p.add_array<float>(mid);
    o.g1 = p.add_array<float>(mid);
    o.g2 = p.add_array<float>(mid);
    for (const auto& part : parts_)
      o.parts.push_back(p.add(part.second->workspace_bytes(max_batch)));
    if (offsets != nullptr) *offsets = std::move(o);
    return p;
  }
  Buffers buffers(const Backend& backend, int64_t n, Layout layout) const {
    if (workspace_ == nullptr) throw std::logic_error("residual block: no workspace bound");
    if (n > planned_batch_)
      throw std::invalid_argument("residual block: batch beyond its workspace");
    const Offsets& o = offsets_;
    char* base = workspace_;
    const Device d = backend.device();
    const auto mid = [&](size_t offset) {
      Tensor t = batch_view(reinterpret_cast<float*>(base + offset), n, mid_, d);
      t.layout = layout;
      return t;
    };
    Buffers b;
    b.h1 = mid(o.h1);
    b.a1 = mid(o.a1);
    b.h2 = mid(o.h2);
    if (projection()) {
      b.s1 = mid(o.s1);
      b.s2 = mid(o.s2);
    }
    b.dsum = mid(o.dsum);
    b.g1 = mid(o.g1);
    b.g2 = mid(o.g2);
    return b;
  }

  void add_part(std::string prefix, std::unique_ptr<Layer> layer) {
    // The parts' ranges nest inside the model's range of the block (profiles, Nsight).
    forward_ranges_.push_back(prefix + layer->kind() + " forward");
    backward_ranges_.push_back(prefix + layer->kind() + " backward");
    parts_.emplace_back(std::move(prefix), std::move(layer));
  }
  Layer& part(size_t i) { return *parts_[i].second; }
  void part_forward(size_t i, Backend& backend, const Tensor& x, const Tensor& y,
                    const StepContext& ctx) {
    const ScopedRange range(backend, forward_ranges_[i].c_str());
    part(i).forward(backend, x, y, ctx);
  }
  void part_backward(size_t i, Backend& backend, const Tensor& x, const Tensor& y, const Tensor& dy,
                     const Tensor& dx, const StepContext& ctx) {
    const ScopedRange range(backend, backward_ranges_[i].c_str());
    part(i).backward(backend, x, y, dy, dx, ctx);
  }
  bool projection() const { return parts_.size() == 6; }

  Activation activation_;
  SampleShape mid_;
  BatchNormLayer* tail_ = nullptr;  // body.4, among parts_
  std::vector<std::pair<std::string, std::unique_ptr<Layer>>> parts_;
  std::vector<std::string> forward_ranges_, backward_ranges_;
  mutable int64_t planned_batch_ = 0;
  char* workspace_ = nullptr;
  Offsets offsets_;
};

}  // namespace

std::unique_ptr<Layer> make_residual_block(SampleShape input, int64_t out_channels, int stride,
                                           Activation activation) {
  return std::make_unique<ResidualBlock>(input, out_channels, stride, activation);
}

}  // namespace emnist
