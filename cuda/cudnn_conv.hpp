#pragma once
// 2-d convolutions (NCHW, fp32 storage) through cuDNN's convolution API: descriptors and the
// algorithm of each direction are chosen once per shape and kept, and the workspace only grows, so
// a steady-state call is one cuDNN launch.
//
// Algorithms come from cuDNN's heuristics (cudnnGet*Algorithm_v7), not from timing them
// (cudnnFind*): the choice is then the same on every run, which bit-for-bit reproducibility needs,
// and costs no trial launches. In deterministic mode only algorithms cuDNN marks deterministic are
// taken (for backward filter and backward data that excludes the atomic-accumulating ones).
//
// fp32 takes only algorithms that sum each output's products directly (implicit/explicit GEMM,
// direct), never FFT or Winograd: its error is then that of a k-term fp32 dot product, the bound
// the tests hold it to.
//
// Precision: fp32 sets CUDNN_FMA_MATH, which forbids TF32 (cuDNN's default math allows TF32 for
// fp32 data on Ampere and later). tf32 and bf16 set CUDNN_DEFAULT_MATH, which lets the tensor cores
// round fp32 inputs to TF32, as PyTorch does with allow_tf32: in bf16 mode the convolutions run in
// TF32, not BF16 (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION is avoided because it may down-convert
// fp32 tensors to fp16, whose narrow range could overflow).
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <map>
#include <string>

#include "cuda_options.hpp"
#include "device_memory.hpp"
#include "handles.hpp"

namespace emnist::cuda {

struct ConvGeometry {
  int n, c, h, w;  // input
  int o, k;        // filters [O, C, K, K]
  int stride, pad;
  int ho, wo;  // output
};

class CudnnConv {
 public:
  CudnnConv(cudaStream_t stream, Precision precision, bool deterministic);

  // y = conv(x, w); dx = conv's adjoint applied to dy; dw = the filter gradient. Outputs are
  // overwritten (beta = 0), dx added to where backward_data is asked to accumulate.
  void forward(const ConvGeometry& g, const float* x, const float* w, float* y);
  // accumulate: dx += the gradient (cuDNN's beta = 1) rather than dx =.
  void backward_data(const ConvGeometry& g, const float* w, const float* dy, float* dx,
                     bool accumulate);
  void backward_filter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

  // The algorithm and math type chosen for each direction of this geometry, in words: printed by
  // the tests when a comparison fails.
  std::string algorithms(const ConvGeometry& g) const;

 private:
  struct Direction {
    ConvDesc conv;  // one per direction: the chosen algorithm's math type is set on it
    int algo = -1;  // -1: not chosen yet (a first layer never needs backward data)
    size_t workspace = 0;
  };
  struct Plan {
    TensorDesc x, y;
    FilterDesc w;
    Direction fwd, data, filter;
  };

  using Key = std::array<int, 8>;
  static Key key(const ConvGeometry& g) { return {g.n, g.c, g.h, g.w, g.o, g.k, g.stride, g.pad}; }
  Plan& plan(const ConvGeometry& g);
  void choose_forward(Plan& p, const ConvGeometry& g);
  void choose_backward_data(Plan& p, const ConvGeometry& g);
  void choose_backward_filter(Plan& p, const ConvGeometry& g);
  ConvDesc make_conv(const ConvGeometry& g) const;

  cudaStream_t stream_;
  Precision precision_;
  bool deterministic_;
  CudnnHandle handle_;
  Scratch workspace_{"the cuDNN workspace"};
  std::map<Key, Plan> plans_;
};

}  // namespace emnist::cuda
