#include "cpu/onednn_conv.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "cpu/cpu_parallel.hpp"

namespace emnist::cpu {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

LayoutChange::LayoutChange(const dnnl::engine& engine, const memory::desc& from,
                           const memory::desc& to)
    : needed(from != to) {
  if (needed) primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine, from, engine, to));
}

memory LayoutChange::in(dnnl::stream& stream, memory user, memory& buffer) const {
  if (!needed) return user;
  primitive.execute(stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, buffer}});
  return buffer;
}

void LayoutChange::out(dnnl::stream& stream, const dnnl::primitive& kernel,
                       std::unordered_map<int, memory> args, int out_arg, memory user,
                       memory& buffer) const {
  args.emplace(out_arg, needed ? buffer : user);
  kernel.execute(stream, args);
  if (needed) primitive.execute(stream, {{DNNL_ARG_FROM, buffer}, {DNNL_ARG_TO, user}});
}

struct OnednnConv::Buffers {
  dnnl::stream stream;
  memory scratchpad;
  // The kernels' layouts of one group: input, output, output gradient (as the backward-data and
  // the backward-weights kernels read it), input gradient, weight gradient.
  memory src, dst, diff_dst_data, diff_dst_weights, weights_src, diff_src, diff_weights;
};

namespace {

// Whether a kernel runs on AMX's tile multiply units. Only there did bfloat16 pay on this project's
// machine: ResNet steps (`emnist bench --model resnet --precision bf16`) took 0.65 of fp32's time
// with AMX, 1.6 times it with AVX-512 BF16 alone and 3.9 times it on plain AVX-512 (emulated), and
// oneDNN has no bfloat16 convolution at all below AVX-512.
bool on_amx(const char* implementation) {
  return std::string(implementation).find("amx") != std::string::npos;
}

}  // namespace

OnednnConv::OnednnConv(const ConvGeometry& g, CpuConvolution kind)
    : g_(g), engine_(dnnl::engine::kind::cpu, 0) {
  // Planned for one thread: each group runs whole on the thread that takes it.
  const OneThreadScope one_thread;
  x_ = memory::desc({g.mb, g.c, g.h, g.w}, kF32, g.x_nchw16c ? Tag::nChw16c : Tag::nchw);
  y_ = memory::desc({g.mb, g.o, g.ho, g.wo}, kF32, g.y_nchw16c ? Tag::nChw16c : Tag::nchw);
  w_ = memory::desc({g.o, g.c, g.k, g.k}, kF32, Tag::oihw);
  if (g.bias) b_ = memory::desc({g.o}, kF32, Tag::x);
  const memory::dims strides{g.stride, g.stride};
  const memory::dims pad_l{g.pad, g.pad};
  // The far side's padding is what the output size leaves (less than pad when the stride skips
  // the last columns), as oneDNN checks the sizes exactly.
  const memory::dims pad_r{(g.ho - 1) * g.stride + g.k - g.h - g.pad,
                           (g.wo - 1) * g.stride + g.k - g.w - g.pad};
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  // The three kernels for an algorithm, with the products' inputs of type `products`: the
  // activations and weights forward, the output gradient and weights backward to the data, the
  // activations and output gradient backward to the weights. What they write stays fp32.
  const auto plan = [&](dnnl::algorithm algorithm, memory::data_type products) {
    const auto any = [](const memory::desc& d, memory::data_type type) {
      return memory::desc(d.dims(), type, Tag::any);
    };
    forward_pd_ = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(
            dnnl::prop_kind::forward_training, algorithm, any(x_, products), any(w_, products),
            g.bias ? any(b_, kF32) : memory::desc(), any(y_, kF32), strides, pad_l, pad_r),
        attr, engine_);
    backward_data_pd_ = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(algorithm, any(x_, kF32), any(w_, products),
                                              any(y_, products), strides, pad_l, pad_r),
        attr, engine_, forward_pd_);
    backward_weights_pd_ = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(algorithm, any(x_, products), any(w_, kF32),
                                                 any(y_, products), strides, pad_l, pad_r),
        attr, engine_, forward_pd_);
  };
  switch (kind) {
    case CpuConvolution::direct:
      plan(dnnl::algorithm::convolution_direct, kF32);
      break;
    case CpuConvolution::winograd:
      plan(dnnl::algorithm::convolution_auto, kF32);
      // Winograd or nothing: where oneDNN's own choice is some other kernel (a gemm-based one for
      // the one-channel stem, three times slower than the direct kernel here), the direct kernel.
      if (std::string(forward_pd_.impl_info_str()).find("wino") == std::string::npos)
        plan(dnnl::algorithm::convolution_direct, kF32);
      break;
    case CpuConvolution::bf16:
      // bfloat16 where all three kernels run on AMX, else direct fp32 (no kernel, or a slower one).
      try {
        plan(dnnl::algorithm::convolution_direct, memory::data_type::bf16);
        if (on_amx(forward_pd_.impl_info_str()) && on_amx(backward_data_pd_.impl_info_str()) &&
            on_amx(backward_weights_pd_.impl_info_str()))
          break;
      } catch (const dnnl::error&) {
      }
      plan(dnnl::algorithm::convolution_direct, kF32);
      break;
  }
  forward_ = dnnl::convolution_forward(forward_pd_);
  backward_data_ = dnnl::convolution_backward_data(backward_data_pd_);
  backward_weights_ = dnnl::convolution_backward_weights(backward_weights_pd_);
  forward_weights_ = memory(forward_pd_.weights_desc(), engine_);
  backward_data_weights_ = memory(backward_data_pd_.weights_desc(), engine_);
  weights_stream_ = dnnl::stream(engine_);
  user_weights_ = memory(w_, engine_, DNNL_MEMORY_NONE);
  to_forward_weights_ = dnnl::reorder(
      dnnl::reorder::primitive_desc(engine_, w_, engine_, forward_pd_.weights_desc()));
  to_backward_data_weights_ = dnnl::reorder(
      dnnl::reorder::primitive_desc(engine_, w_, engine_, backward_data_pd_.weights_desc()));

  src_ = LayoutChange(engine_, x_, forward_pd_.src_desc());
  dst_ = LayoutChange(engine_, forward_pd_.dst_desc(), y_);
  diff_dst_data_ = LayoutChange(engine_, y_, backward_data_pd_.diff_dst_desc());
  diff_dst_weights_ = LayoutChange(engine_, y_, backward_weights_pd_.diff_dst_desc());
  weights_src_ = LayoutChange(engine_, x_, backward_weights_pd_.src_desc());
  diff_src_ = LayoutChange(engine_, backward_data_pd_.diff_src_desc(), x_);
  diff_weights_ = LayoutChange(engine_, backward_weights_pd_.diff_weights_desc(), w_);
  same_diff_dst_layout_ = backward_data_pd_.diff_dst_desc() == backward_weights_pd_.diff_dst_desc();
  dnnl::post_ops sum;
  sum.append_sum(1.0f);
  dnnl::primitive_attr adding;
  adding.set_post_ops(sum);
  diff_src_added_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      engine_, backward_data_pd_.diff_src_desc(), engine_, x_, adding));
}

OnednnConv::~OnednnConv() = default;

void OnednnConv::reserve(int threads) {
  const size_t scratch = std::max({forward_pd_.scratchpad_desc().get_size(),
                                   backward_data_pd_.scratchpad_desc().get_size(),
                                   backward_weights_pd_.scratchpad_desc().get_size(), size_t{1}});
  while (buffers_.size() < static_cast<size_t>(threads)) {
    auto b = std::make_unique<Buffers>();
    b->stream = dnnl::stream(engine_);
    b->scratchpad = memory(
        memory::desc({static_cast<memory::dim>(scratch)}, memory::data_type::u8, Tag::x), engine_);
    b->src = memory(forward_pd_.src_desc(), engine_);
    b->dst = memory(forward_pd_.dst_desc(), engine_);
    b->diff_dst_data = memory(backward_data_pd_.diff_dst_desc(), engine_);
    b->diff_dst_weights = memory(backward_weights_pd_.diff_dst_desc(), engine_);
    b->weights_src = memory(backward_weights_pd_.src_desc(), engine_);
    b->diff_src = memory(backward_data_pd_.diff_src_desc(), engine_);
    b->diff_weights = memory(backward_weights_pd_.diff_weights_desc(), engine_);
    buffers_.push_back(std::move(b));
  }
}

void OnednnConv::prepare_forward(const float* w) {
  user_weights_.set_data_handle(const_cast<float*>(w));
  to_forward_weights_.execute(weights_stream_, user_weights_, forward_weights_);
  weights_stream_.wait();
}

void OnednnConv::prepare_backward_data(const float* w) {
  user_weights_.set_data_handle(const_cast<float*>(w));
  to_backward_data_weights_.execute(weights_stream_, user_weights_, backward_data_weights_);
  weights_stream_.wait();
}

void OnednnConv::forward(int thread, const float* x, const float* b, float* y) {
  Buffers& t = *buffers_[static_cast<size_t>(thread)];
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src_.in(t.stream, memory(x_, engine_, const_cast<float*>(x)), t.src)},
      {DNNL_ARG_WEIGHTS, forward_weights_},
      {DNNL_ARG_SCRATCHPAD, t.scratchpad}};
  if (g_.bias) args.emplace(DNNL_ARG_BIAS, memory(b_, engine_, const_cast<float*>(b)));
  dst_.out(t.stream, forward_, std::move(args), DNNL_ARG_DST, memory(y_, engine_, y), t.dst);
  t.stream.wait();
}

void OnednnConv::backward(int thread, const float* x, const float* dy, float* dx, float* dw,
                          bool accumulate) {
  Buffers& t = *buffers_[static_cast<size_t>(thread)];
  const memory dy_user(y_, engine_, const_cast<float*>(dy));
  // The gradient in the backward-data kernel's layout, reordered at most once: where the
  // backward-weights kernel reads the same layout (nChw16c for both, on AVX-512) it reads this copy
  // too, which saves one pass over the gradient a convolution.
  memory dy_data;
  if (dx != nullptr) {
    dy_data = diff_dst_data_.in(t.stream, dy_user, t.diff_dst_data);
    std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, dy_data},
                                         {DNNL_ARG_WEIGHTS, backward_data_weights_},
                                         {DNNL_ARG_SCRATCHPAD, t.scratchpad}};
    const memory dx_user(x_, engine_, dx);
    if (accumulate) {
      args.emplace(DNNL_ARG_DIFF_SRC, t.diff_src);
      backward_data_.execute(t.stream, args);
      diff_src_added_.execute(t.stream, {{DNNL_ARG_FROM, t.diff_src}, {DNNL_ARG_TO, dx_user}});
    } else {
      diff_src_.out(t.stream, backward_data_, std::move(args), DNNL_ARG_DIFF_SRC, dx_user,
                    t.diff_src);
    }
  }
  if (dw != nullptr) {
    const memory x_user(x_, engine_, const_cast<float*>(x));
    const memory dy_weights = dx != nullptr && same_diff_dst_layout_
                                  ? dy_data
                                  : diff_dst_weights_.in(t.stream, dy_user, t.diff_dst_weights);
    diff_weights_.out(t.stream, backward_weights_,
                      {{DNNL_ARG_SRC, weights_src_.in(t.stream, x_user, t.weights_src)},
                       {DNNL_ARG_DIFF_DST, dy_weights},
                       {DNNL_ARG_SCRATCHPAD, t.scratchpad}},
                      DNNL_ARG_DIFF_WEIGHTS, memory(w_, engine_, dw), t.diff_weights);
  }
  t.stream.wait();
}

std::string OnednnConv::implementations() const {
  return std::string("forward: ") + forward_pd_.impl_info_str() +
         ", backward data: " + backward_data_pd_.impl_info_str() +
         ", backward weights: " + backward_weights_pd_.impl_info_str();
}

OnednnConvPlans::OnednnConvPlans(CpuConvolution convolution) : kind_(convolution) {}

OnednnConv& OnednnConvPlans::plan(const ConvGeometry& g) {
  std::unique_ptr<OnednnConv>& p = plans_[g];
  if (!p) p = std::make_unique<OnednnConv>(g, kind_);
  return *p;
}

}  // namespace emnist::cpu
