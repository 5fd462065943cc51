#include "emnist/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "emnist/element_math.hpp"
#include "emnist/error.hpp"

namespace emnist {
namespace {

double gib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

// What cannot fit is refused before it is asked for: an allocation that the machine cannot back
// would fail (or, overcommitted, be killed while zeroed) long after the configuration was read.
void require_memory(const Backend& backend, size_t bytes, const std::string& what) {
  const size_t free = backend.available_memory();
  if (bytes <= free) return;
  throw UserError(fmt::format(
      "{} need {:.1f} GiB, more than the {:.1f} GiB the {} backend has free; make the model "
      "smaller (model.hidden, model.conv) or lower train.batch_size",
      what, gib(bytes), gib(free), backend.name()));
}

}  // namespace

Model::Model(Backend& backend, std::vector<std::unique_ptr<Layer>> layers, int64_t max_batch)
    : backend_(backend), layers_(std::move(layers)), max_batch_(max_batch) {
  if (layers_.empty()) throw std::invalid_argument("model: no layers");
  if (max_batch_ < 1) throw std::invalid_argument("model: max_batch must be >= 1");
  input_shape_ = layers_.front()->input_shape();
  if (layers_.back()->output_shape().rank != 1)
    throw std::invalid_argument("model: the last layer must output [classes]");
  // Named as the state dict names the layers, so Nsight timelines read like the model.
  for (size_t i = 0; i < layers_.size(); ++i) {
    forward_ranges_.push_back(fmt::format("layers.{} {} forward", i, layers_[i]->kind()));
    backward_ranges_.push_back(fmt::format("layers.{} {} backward", i, layers_[i]->kind()));
  }

  // ---- parameter layout: every weight first, then every other trained value; buffers apart ----
  offsets_.resize(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) offsets_[i].resize(layers_[i]->param_specs().size());
  for (const ParamGroup group : {ParamGroup::weight, ParamGroup::other, ParamGroup::buffer}) {
    for (size_t i = 0; i < layers_.size(); ++i) {
      const std::vector<ParamSpec> specs = layers_[i]->param_specs();
      for (size_t j = 0; j < specs.size(); ++j) {
        if (specs[j].group != group) continue;
        int64_t& counter = group == ParamGroup::buffer ? buffer_count_ : param_count_;
        named_.push_back(
            {fmt::format("layers.{}.{}", i, specs[j].name), specs[j].shape, group, counter});
        offsets_[i][j] = counter;
        counter += specs[j].numel();
      }
    }
    if (group == ParamGroup::weight) weight_count_ = param_count_;
  }

  const size_t pbytes = sizeof(float) * static_cast<size_t>(param_count_);
  // Values and gradients here, and (by the optimizer, later) up to two state buffers as large.
  require_memory(
      backend_, 4 * pbytes,
      fmt::format("the model's {} parameters (values, gradients, optimizer state)", param_count_));
  ArenaPlan pplan;
  const size_t p_off = pplan.add(pbytes);
  const size_t g_off = pplan.add(pbytes);
  const size_t b_off = pplan.add_array<float>(buffer_count_);
  param_memory_ = DeviceBuffer(backend_, pplan.total());
  params_ = param_memory_.at<float>(p_off);
  grads_ = param_memory_.at<float>(g_off);
  buffers_ = param_memory_.at<float>(b_off);

  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::vector<ParamSpec> specs = layers_[i]->param_specs();
    std::vector<float*> values, grads;
    for (size_t j = 0; j < specs.size(); ++j) {
      if (specs[j].group == ParamGroup::buffer) {
        values.push_back(buffers_ + offsets_[i][j]);
        grads.push_back(nullptr);
      } else {
        values.push_back(params_ + offsets_[i][j]);
        grads.push_back(grads_ + offsets_[i][j]);
      }
    }
    layers_[i]->bind_params(values, grads);
  }

  // ---- activation arena ----
  shapes_.push_back(input_shape_);
  for (const auto& layer : layers_) shapes_.push_back(layer->output_shape());
  for (size_t i = 1; i < layers_.size(); ++i) {
    if (!(layers_[i]->input_shape() == shapes_[i]))
      throw std::invalid_argument(fmt::format("model: layer {} ({}) expects {}, gets {}", i,
                                              layers_[i]->kind(), layers_[i]->input_shape().str(),
                                              shapes_[i].str()));
  }

  // The layout of each activation and its gradient (Backend::nchw16c_activations): nchw16c for
  // every [C, H, W] with more than one position a plane and C a multiple of 16 but the input, then
  // plain again on both sides of each layer that does not take the pair, until every layer does
  // (each pass only turns activations plain, so this ends).
  std::vector<bool> blocked(layers_.size() + 1, false);
  for (size_t i = 1; i <= layers_.size(); ++i) {
    const SampleShape& shape = shapes_[i];
    blocked[i] = backend_.nchw16c_activations() && shape.rank == 3 &&
                 shape.dim(1) * shape.dim(2) > 1 && shape.dim(0) % 16 == 0;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < layers_.size(); ++i) {
      if ((blocked[i] || blocked[i + 1]) &&
          !layers_[i]->takes_nchw16c(blocked[i], blocked[i + 1])) {
        blocked[i] = blocked[i + 1] = false;
        changed = true;
      }
    }
  }
  for (size_t i = 0; i <= layers_.size(); ++i)
    layouts_.push_back(blocked[i] ? Layout::nchw16c : Layout::plain);

  // owner[i]: the index of the activation whose memory act_[i] is (views and in-place layers
  // share memory). An in-place layer may only overwrite memory that no backward pass still reads:
  // not the model input (the first layer's weight gradient needs it) and not the output of a layer
  // whose backward reads its output.
  const size_t count = layers_.size();
  std::vector<size_t> owner(count + 1);
  owner[0] = 0;
  ArenaPlan plan;
  std::vector<size_t> act_off(count + 1, 0);
  act_off[0] = plan.add_array<float>(max_batch_ * input_shape_.numel());
  for (size_t i = 0; i < count; ++i) {
    const Layer& layer = *layers_[i];
    bool share = layer.is_view();
    if (!share && layer.in_place()) {
      const size_t o = owner[i];
      share = o != 0 && !layers_[o - 1]->backward_reads_output();
    }
    if (share) {
      owner[i + 1] = owner[i];
    } else {
      owner[i + 1] = i + 1;
      act_off[i + 1] = plan.add_array<float>(max_batch_ * shapes_[i + 1].numel());
    }
  }
  int64_t max_numel = 0;
  for (const SampleShape& s : shapes_) max_numel = std::max(max_numel, s.numel());
  const size_t g0 = plan.add_array<float>(max_batch_ * max_numel);
  const size_t g1 = plan.add_array<float>(max_batch_ * max_numel);
  const size_t labels_off = plan.add_array<int32_t>(max_batch_);
  std::vector<size_t> ws_off(count, 0);
  for (size_t i = 0; i < count; ++i) {
    const size_t bytes = layers_[i]->workspace_bytes(max_batch_);
    if (bytes > 0) ws_off[i] = plan.add(bytes);
  }
  require_memory(backend_, plan.total(),
                 fmt::format("the activations of a batch of {}", max_batch_));
  arena_ = DeviceBuffer(backend_, plan.total());

  act_.resize(count + 1);
  for (size_t i = 0; i <= count; ++i) act_[i] = arena_.at<float>(act_off[owner[i]]);
  input_ = act_[0];
  grad_buf_[0] = arena_.at<float>(g0);
  grad_buf_[1] = arena_.at<float>(g1);
  labels_ = arena_.at<int32_t>(labels_off);
  for (size_t i = 0; i < count; ++i)
    if (layers_[i]->workspace_bytes(max_batch_) > 0)
      layers_[i]->bind_workspace(arena_.at<void>(ws_off[i]));
}

Tensor Model::params() const { return Tensor(params_, {param_count_}, backend_.device()); }
Tensor Model::grads() const { return Tensor(grads_, {param_count_}, backend_.device()); }
Tensor Model::weights() const { return Tensor(params_, {weight_count_}, backend_.device()); }
Tensor Model::weight_grads() const { return Tensor(grads_, {weight_count_}, backend_.device()); }
Tensor Model::buffers() const { return Tensor(buffers_, {buffer_count_}, backend_.device()); }

void Model::initialize(uint64_t seed) {
  std::vector<float> params(static_cast<size_t>(param_count_));
  std::vector<float> buffers(static_cast<size_t>(buffer_count_));
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::vector<ParamSpec> specs = layers_[i]->param_specs();
    for (size_t j = 0; j < specs.size(); ++j) {
      const ParamSpec& spec = specs[j];
      std::vector<float>& dst = spec.group == ParamGroup::buffer ? buffers : params;
      for (int64_t e = 0; e < spec.numel(); ++e) {
        const int64_t index = offsets_[i][j] + e;
        float v = 0.0f;
        switch (spec.init) {
          case ParamInit::zeros:
            v = 0.0f;
            break;
          case ParamInit::ones:
            v = 1.0f;
            break;
          case ParamInit::fan_in_uniform: {
            // kaiming_uniform(a = sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the same
            // bound PyTorch uses for the bias. The draw's counter is the element's place in its
            // buffer, so a value does not depend on the order layers are visited in.
            const float bound = 1.0f / std::sqrt(static_cast<float>(spec.fan_in));
            const float u = math::uniform01(seed, math::kStreamInit, static_cast<uint64_t>(index));
            v = (2.0f * u - 1.0f) * bound;
            break;
          }
        }
        dst[static_cast<size_t>(index)] = v;
      }
    }
  }
  backend_.copy_from_host(params_, params.data(), sizeof(float) * params.size());
  backend_.copy_from_host(buffers_, buffers.data(), sizeof(float) * buffers.size());
  backend_.zero(grads_, sizeof(float) * static_cast<size_t>(param_count_));
}

void Model::check_batch(int64_t n) const {
  if (n < 1 || n > max_batch_)
    throw std::invalid_argument(fmt::format("model: batch of {} outside 1..{}", n, max_batch_));
}

Tensor Model::activation(size_t i, int64_t n) const {
  Tensor t = batch_view(act_[i], n, shapes_[i], backend_.device());
  t.layout = layouts_[i];
  return t;
}

Tensor Model::input(int64_t n) const {
  check_batch(n);
  return activation(0, n);
}

Tensor Model::logits(int64_t n) const {
  check_batch(n);
  return activation(layers_.size(), n);
}

Tensor Model::dlogits(int64_t n) const {
  check_batch(n);
  return batch_view(grad_buf_[0], n, shapes_.back(), backend_.device());
}

void Model::forward(int64_t n, const StepContext& ctx) {
  check_batch(n);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const ScopedRange range(backend_, forward_ranges_[i].c_str());
    layers_[i]->forward(backend_, activation(i, n), activation(i + 1, n), ctx);
  }
}

void Model::backward(int64_t n, const StepContext& ctx) {
  check_batch(n);
  // Gradients ping-pong between two buffers; dlogits() is buffer 0. A view's gradient is the same
  // memory under the input's shape, so it neither computes nor swaps.
  int cur = 0;
  for (size_t i = layers_.size(); i-- > 0;) {
    Layer& layer = *layers_[i];
    if (layer.is_view()) continue;
    Tensor dy = batch_view(grad_buf_[cur], n, shapes_[i + 1], backend_.device());
    dy.layout = layouts_[i + 1];
    Tensor dx;
    if (i > 0) {
      dx = batch_view(grad_buf_[1 - cur], n, shapes_[i], backend_.device());
      dx.layout = layouts_[i];
    }
    const ScopedRange range(backend_, backward_ranges_[i].c_str());
    layer.backward(backend_, activation(i, n), activation(i + 1, n), dy, dx, ctx);
    cur = 1 - cur;
  }
}

TensorMap Model::state_dict() const {
  std::vector<float> params(static_cast<size_t>(param_count_));
  std::vector<float> buffers(static_cast<size_t>(buffer_count_));
  backend_.copy_to_host(params.data(), params_, sizeof(float) * params.size());
  backend_.copy_to_host(buffers.data(), buffers_, sizeof(float) * buffers.size());
  TensorMap out;
  for (const NamedTensor& t : named_) {
    const std::vector<float>& src = t.group == ParamGroup::buffer ? buffers : params;
    HostTensor h;
    h.shape = t.shape;
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    h.values.assign(src.begin() + t.offset, src.begin() + t.offset + numel);
    out.emplace(t.name, std::move(h));
  }
  return out;
}

void Model::load_state_dict(const TensorMap& tensors, const std::string& source) {
  std::vector<float> params(static_cast<size_t>(param_count_));
  std::vector<float> buffers(static_cast<size_t>(buffer_count_));
  std::set<std::string> expected;
  for (const NamedTensor& t : named_) {
    expected.insert(t.name);
    const auto it = tensors.find(t.name);
    if (it == tensors.end())
      throw UserError(
          fmt::format("{}: tensor '{}' is missing (this model needs it with shape {}); "
                      "was the file written for another configuration?",
                      source, t.name, shape_string(t.shape)));
    if (it->second.shape != t.shape)
      throw UserError(
          fmt::format("{}: tensor '{}' has shape {} but this model needs {}; was the "
                      "file written for another configuration?",
                      source, t.name, shape_string(it->second.shape), shape_string(t.shape)));
    std::vector<float>& dst = t.group == ParamGroup::buffer ? buffers : params;
    std::copy(it->second.values.begin(), it->second.values.end(), dst.begin() + t.offset);
  }
  for (const auto& [name, tensor] : tensors)
    if (!expected.count(name))
      throw UserError(
          fmt::format("{}: unexpected tensor '{}' (shape {}) for this model; was the "
                      "file written for another configuration?",
                      source, name, shape_string(tensor.shape)));
  backend_.copy_from_host(params_, params.data(), sizeof(float) * params.size());
  backend_.copy_from_host(buffers_, buffers.data(), sizeof(float) * buffers.size());
}

bool Model::nchw16c_activations() const {
  return std::find(layouts_.begin(), layouts_.end(), Layout::nchw16c) != layouts_.end();
}

std::string Model::describe() const {
  std::string s = fmt::format("input {}\n", input_shape_.str());
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = *layers_[i];
    s += fmt::format("  {:2d} {:<12} -> {:<14} {:>9} parameters{}\n", i, layer.kind(),
                     layer.output_shape().str(), layer.parameter_count(),
                     layouts_[i + 1] == Layout::nchw16c ? ", output nchw16c" : "");
  }
  s += fmt::format("  total {} parameters ({} in weights)", param_count_, weight_count_);
  if (nchw16c_activations()) s += "; activations in the nchw16c layout where marked";
  return s;
}

}  // namespace emnist
