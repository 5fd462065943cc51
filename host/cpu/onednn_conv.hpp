#pragma once
// oneDNN's convolution kernels (direct, Winograd or bfloat16: CpuConvolution) for one convolution
// shape and one group of samples, planned for one thread. The CPU backend cuts a batch into groups
// of a fixed size and runs each group on one OpenMP thread, so no result depends on the thread
// count (cpu_conv2d.cpp).
//
// Tensors stay as the backend holds them (fp32, plain or nchw16c activations, OIHW weights). Each
// group is reordered into the kernels' blocked layouts (and bfloat16, for its kernels' inputs) and
// back in buffers of the running thread's own where the two differ (for nchw16c activations on
// AVX-512 they do not); the weights once per call, before the groups start.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "emnist/backend.hpp"

namespace emnist::cpu {

struct ConvGeometry {
  int64_t mb, c, h, w, o, k, ho, wo, stride, pad;
  bool bias;
  // The layouts of x (and dx) and of y (and dy): nchw16c, or plain.
  bool x_nchw16c, y_nchw16c;

  auto key() const { return std::tie(mb, c, h, w, o, k, stride, pad, bias, x_nchw16c, y_nchw16c); }
  bool operator<(const ConvGeometry& other) const { return key() < other.key(); }
};

// A reorder between the user's memory (fp32, plain layout) and a kernel's (its layout, and bfloat16
// where its products take it), or none where the two are the same.
struct LayoutChange {
  dnnl::reorder primitive;
  bool needed = false;

  LayoutChange() = default;
  LayoutChange(const dnnl::engine& engine, const dnnl::memory::desc& from,
               const dnnl::memory::desc& to);
  // `user` itself where no change is needed, else `buffer`, filled from it.
  dnnl::memory in(dnnl::stream& stream, dnnl::memory user, dnnl::memory& buffer) const;
  // Runs `kernel` with `args` and its output argument `out_arg`: written to `user` directly where
  // no change is needed, else to `buffer` and reordered into `user`.
  void out(dnnl::stream& stream, const dnnl::primitive& kernel,
           std::unordered_map<int, dnnl::memory> args, int out_arg, dnnl::memory user,
           dnnl::memory& buffer) const;
};

class OnednnConv {
 public:
  // Falls back to direct fp32 where the kind asked for has no kernel for this shape on this CPU.
  OnednnConv(const ConvGeometry& g, CpuConvolution kind);
  ~OnednnConv();
  OnednnConv(const OnednnConv&) = delete;
  OnednnConv& operator=(const OnednnConv&) = delete;

  // Before a call's groups, on the calling thread: the user's OIHW weights into the layout the
  // forward (or backward-data) kernel reads, and a buffer set for each of `threads` threads.
  void prepare_forward(const float* w);
  void prepare_backward_data(const float* w);
  void reserve(int threads);

  // One group, on thread `thread` (its buffers): y = conv(x) (+ b).
  void forward(int thread, const float* x, const float* b, float* y);
  // dx (may be null) and this group's weight gradient dw (may be null), both overwritten, or dx
  // added to where `accumulate` (Conv2dParams::accumulate_dx).
  void backward(int thread, const float* x, const float* dy, float* dx, float* dw, bool accumulate);
  // "forward: F, backward data: D, backward weights: W", oneDNN's names of the three kernels.
  std::string implementations() const;

 private:
  struct Buffers;

  ConvGeometry g_;
  dnnl::engine engine_;
  dnnl::memory::desc x_, y_, w_, b_;  // the user's layouts
  dnnl::convolution_forward::primitive_desc forward_pd_;
  dnnl::convolution_backward_data::primitive_desc backward_data_pd_;
  dnnl::convolution_backward_weights::primitive_desc backward_weights_pd_;
  dnnl::convolution_forward forward_;
  dnnl::convolution_backward_data backward_data_;
  dnnl::convolution_backward_weights backward_weights_;
  dnnl::memory forward_weights_, backward_data_weights_;
  // The user's weights (rebound each call) into those layouts, on the calling thread's stream.
  dnnl::memory user_weights_;
  dnnl::reorder to_forward_weights_, to_backward_data_weights_;
  dnnl::stream weights_stream_;
  // Into the kernels' layouts (src, diff_dst for each backward kernel, the backward-weights
  // kernel's src) and back out of them (dst, diff_src, diff_weights).
  LayoutChange src_, dst_, diff_dst_data_, diff_dst_weights_, weights_src_, diff_src_,
      diff_weights_;
  // The input gradient from the kernel's layout added into the user's dx (a reorder with a sum:
  // one pass, dx read once), for accumulate_dx.
  dnnl::reorder diff_src_added_;
  // Whether both backward kernels read the output gradient in one layout (one reorder serves both).
  bool same_diff_dst_layout_ = false;
  std::vector<std::unique_ptr<Buffers>> buffers_;
};

// The plans of every shape and group size seen so far (a batch's last group may be smaller, and
// evaluation batches may be other sizes).
class OnednnConvPlans {
 public:
  explicit OnednnConvPlans(CpuConvolution convolution);
  OnednnConv& plan(const ConvGeometry& g);

 private:
  CpuConvolution kind_;
  std::map<ConvGeometry, std::unique_ptr<OnednnConv>> plans_;
};

}  // namespace emnist::cpu
