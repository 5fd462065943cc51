#include <stdexcept>

#include "emnist/layers.hpp"

namespace emnist {
namespace {

// BatchNorm1d over [N, C] or BatchNorm2d over [N, C, H, W]: statistics per channel either way.
class BatchNorm final : public BatchNormLayer {
 public:
  BatchNorm(SampleShape input, BatchNormParams params) : BatchNormLayer(input), params_(params) {
    if (input.rank != 1 && input.rank != 3)
      throw std::invalid_argument("batchnorm: input must be [C] or [C, H, W], got " + input.str());
  }
  std::string kind() const override {
    return input_shape().rank == 1 ? "batchnorm1d" : "batchnorm2d";
  }
  SampleShape output_shape() const override { return input_shape(); }
  // With an activation inside, backward takes its gradient at the output (with dropout inside too,
  // at the output before dropout, kept in this layer's workspace).
  bool backward_reads_output() const override { return params_.activate && !dropout(); }
  // Dropout's mask is drawn by the plain layout's index.
  bool takes_nchw16c(bool x, bool y) const override { return x == y && !dropout(); }

  std::vector<ParamSpec> param_specs() const override {
    const int64_t c = channels();
    return {{"weight", {c}, ParamGroup::other, ParamInit::ones},
            {"bias", {c}, ParamGroup::other, ParamInit::zeros},
            {"running_mean", {c}, ParamGroup::buffer, ParamInit::zeros},
            {"running_var", {c}, ParamGroup::buffer, ParamInit::ones}};
  }
  void bind_params(const std::vector<float*>& values, const std::vector<float*>& grads) override {
    gamma_ = values[0];
    beta_ = values[1];
    running_mean_ = values[2];
    running_var_ = values[3];
    dgamma_ = grads[0];
    dbeta_ = grads[1];
  }
  size_t workspace_bytes(int64_t max_batch) const override {
    const int64_t activated = dropout() ? max_batch * input_shape().numel() : 0;
    return sizeof(float) * static_cast<size_t>(2 * channels() + activated);
  }
  void bind_workspace(void* workspace) override {
    save_mean_ = static_cast<float*>(workspace);
    save_invstd_ = save_mean_ + channels();
    activated_ = save_invstd_ + channels();
  }

  void forward(Backend& backend, const Tensor& x, const Tensor& y,
               const StepContext& ctx) override {
    forward_with(backend, x, y, ctx, ctx.mode == Mode::train ? step_params(x, ctx) : params_);
  }
  void forward_add_activate(Backend& backend, const Tensor& x, const Tensor& shortcut,
                            Activation activation, const Tensor& y,
                            const StepContext& ctx) override {
    if (params_.activate)
      throw std::logic_error("batchnorm: a residual block's tail has no activation of its own");
    BatchNormParams p = params_;
    p.activate = true;
    p.activation = activation;
    p.residual = shortcut;
    forward_with(backend, x, y, ctx, p);
  }
  void backward(Backend& backend, const Tensor& x, const Tensor& y, const Tensor& dy,
                const Tensor& dx, const StepContext& ctx) override {
    const Device d = backend.device();
    if (params_.activate) {
      const BatchNormParams p = step_params(x, ctx);
      backend.batchnorm_activation_backward(
          x, dropout() ? p.dropout.activated : y, dy, vec(gamma_, d), vec(beta_, d),
          vec(save_mean_, d), vec(save_invstd_, d), dx, vec(dgamma_, d), vec(dbeta_, d), p);
      return;
    }
    backend.batchnorm_backward(x, dy, vec(gamma_, d), vec(save_mean_, d), vec(save_invstd_, d), dx,
                               vec(dgamma_, d), vec(dbeta_, d));
  }

 private:
  void forward_with(Backend& backend, const Tensor& x, const Tensor& y, const StepContext& ctx,
                    const BatchNormParams& p) {
    const Device d = backend.device();
    if (ctx.mode == Mode::train) {
      backend.batchnorm_forward_train(x, vec(gamma_, d), vec(beta_, d), vec(running_mean_, d),
                                      vec(running_var_, d), y, vec(save_mean_, d),
                                      vec(save_invstd_, d), p);
    } else {
      backend.batchnorm_forward_infer(x, vec(gamma_, d), vec(beta_, d), vec(running_mean_, d),
                                      vec(running_var_, d), y, p);
    }
  }
  int64_t channels() const { return input_shape().dim(0); }
  Tensor vec(float* p, Device d) const { return Tensor(p, {channels()}, d); }
  bool dropout() const { return params_.dropout.p > 0.0f; }
  // The params of this step: dropout's step counter and the workspace for its input, x's shape.
  BatchNormParams step_params(const Tensor& x, const StepContext& ctx) const {
    BatchNormParams p = params_;
    if (dropout()) {
      p.dropout.scalars = ctx.scalars;
      p.dropout.activated = x;
      p.dropout.activated.data = activated_;
    }
    return p;
  }

  BatchNormParams params_;
  float *gamma_ = nullptr, *beta_ = nullptr, *running_mean_ = nullptr, *running_var_ = nullptr;
  float *dgamma_ = nullptr, *dbeta_ = nullptr, *save_mean_ = nullptr, *save_invstd_ = nullptr;
  float* activated_ = nullptr;
};

}  // namespace

std::unique_ptr<BatchNormLayer> make_batchnorm(SampleShape input, BatchNormParams params) {
  return std::make_unique<BatchNorm>(input, params);
}

}  // namespace emnist
