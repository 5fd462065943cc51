#include "cudnn_conv.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "cuda_check.hpp"

namespace emnist::cuda {
namespace {

cudnnMathType_t base_math(Precision p) {
  return p == Precision::fp32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

std::string describe(const ConvGeometry& g) {
  return fmt::format("x [{}, {}, {}, {}], w [{}, {}, {}, {}], stride {}, pad {}", g.n, g.c, g.h,
                     g.w, g.o, g.c, g.k, g.k, g.stride, g.pad);
}

// The algorithms that sum each output's products directly (an implicit or explicit GEMM, or a
// direct loop): their fp32 error is that of a k-term dot product in another order. FFT and
// Winograd transform the operands first and round in the transformed domain, with an error that
// depends on the tile and transform sizes rather than on k alone.
bool sums_directly(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_GEMM || a == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
}
bool sums_directly(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
}
bool sums_directly(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

// The heuristic's candidates, best first, that this backend may use: supported, deterministic when
// asked, and never a math type that down-converts fp32 data more than the precision allows. fp32
// also keeps to the directly summing algorithms, so that it promises one error bound (a k-term
// fp32 dot product); tf32 and bf16, whose input rounding dominates, may take FFT and Winograd.
template <typename Perf>
bool acceptable(const Perf& perf, Precision precision, bool deterministic) {
  if (perf.status != CUDNN_STATUS_SUCCESS) return false;
  if (deterministic && perf.determinism != CUDNN_DETERMINISTIC) return false;
  if (perf.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;
  if (precision == Precision::fp32 &&
      (perf.mathType == CUDNN_TENSOR_OP_MATH || !sums_directly(perf.algo)))
    return false;
  return true;
}

const char* algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "?";
  }
}
const char* algo_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
      return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "?";
  }
}
const char* algo_name(cudnnConvolutionBwdFilterAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0:
      return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1:
      return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3:
      return "ALGO_3";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING:
      return "FFT_TILING";
    default:
      return "?";
  }
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH:
      return "default math";
    case CUDNN_TENSOR_OP_MATH:
      return "tensor-op math";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
      return "tensor-op math with conversion";
    case CUDNN_FMA_MATH:
      return "FMA math";
    default:
      return "? math";
  }
}

template <typename Algo>
std::string describe_direction(const char* direction, int algo, cudnnConvolutionDescriptor_t conv) {
  if (algo < 0) return fmt::format("{} not chosen", direction);
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  EMNIST_CUDNN_CHECK(cudnnGetConvolutionMathType(conv, &math));
  return fmt::format("{} {} ({})", direction, algo_name(static_cast<Algo>(algo)), math_name(math));
}

// Walks the candidates in order; the first whose workspace size cuDNN can state (with the
// candidate's math type set on the descriptor) is taken. In fp32 the descriptor stays at
// CUDNN_FMA_MATH whatever the candidate reports, so no TF32 kernel can be picked at run time.
template <typename Perf, typename WorkspaceQuery>
void choose(const Perf* results, int count, Precision precision, bool deterministic,
            cudnnConvolutionDescriptor_t conv, int& algo, size_t& workspace, WorkspaceQuery query,
            const char* direction, const ConvGeometry& g) {
  for (int i = 0; i < count; ++i) {
    const Perf& perf = results[i];
    if (!acceptable(perf, precision, deterministic)) continue;
    const cudnnMathType_t math = precision == Precision::fp32 ? CUDNN_FMA_MATH : perf.mathType;
    EMNIST_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, math));
    size_t bytes = 0;
    if (query(perf.algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
    algo = static_cast<int>(perf.algo);
    workspace = bytes;
    return;
  }
  throw std::runtime_error(fmt::format("cuDNN offers no usable {} algorithm{} for {}", direction,
                                       deterministic ? " (deterministic)" : "", describe(g)));
}

}  // namespace

CudnnConv::CudnnConv(cudaStream_t stream, Precision precision, bool deterministic)
    : stream_(stream),
      precision_(precision),
      deterministic_(deterministic),
      handle_(create_cudnn(stream)) {}

ConvDesc CudnnConv::make_conv(const ConvGeometry& g) const {
  ConvDesc conv = create_conv_desc(g.pad, g.stride);
  EMNIST_CUDNN_CHECK(cudnnSetConvolutionMathType(conv.get(), base_math(precision_)));
  return conv;
}

CudnnConv::Plan& CudnnConv::plan(const ConvGeometry& g) {
  auto it = plans_.find(key(g));
  if (it != plans_.end()) return it->second;

  Plan p;
  p.x = create_tensor_desc(g.n, g.c, g.h, g.w);
  p.w = create_filter_desc(g.o, g.c, g.k, g.k);
  p.y = create_tensor_desc(g.n, g.o, g.ho, g.wo);
  p.fwd.conv = make_conv(g);
  p.data.conv = make_conv(g);
  p.filter.conv = make_conv(g);
  int n = 0, c = 0, h = 0, w = 0;
  EMNIST_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p.fwd.conv.get(), p.x.get(), p.w.get(),
                                                           &n, &c, &h, &w));
  if (n != g.n || c != g.o || h != g.ho || w != g.wo)
    throw std::logic_error(
        fmt::format("cuDNN's output shape [{}, {}, {}, {}] differs from [{}, {}, "
                    "{}, {}] for {}",
                    n, c, h, w, g.n, g.o, g.ho, g.wo, describe(g)));
  return plans_.emplace(key(g), std::move(p)).first->second;
}

void CudnnConv::choose_forward(Plan& p, const ConvGeometry& g) {
  cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  EMNIST_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
      handle_.get(), p.x.get(), p.w.get(), p.fwd.conv.get(), p.y.get(),
      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results));
  const auto query = [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(handle_.get(), p.x.get(), p.w.get(),
                                                   p.fwd.conv.get(), p.y.get(), algo, bytes);
  };
  choose(results, count, precision_, deterministic_, p.fwd.conv.get(), p.fwd.algo, p.fwd.workspace,
         query, "forward", g);
}

void CudnnConv::choose_backward_data(Plan& p, const ConvGeometry& g) {
  cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int count = 0;
  EMNIST_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
      handle_.get(), p.w.get(), p.y.get(), p.data.conv.get(), p.x.get(),
      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results));
  const auto query = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(handle_.get(), p.w.get(), p.y.get(),
                                                        p.data.conv.get(), p.x.get(), algo, bytes);
  };
  choose(results, count, precision_, deterministic_, p.data.conv.get(), p.data.algo,
         p.data.workspace, query, "backward-data", g);
}

void CudnnConv::choose_backward_filter(Plan& p, const ConvGeometry& g) {
  cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int count = 0;
  EMNIST_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
      handle_.get(), p.x.get(), p.y.get(), p.filter.conv.get(), p.w.get(),
      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results));
  const auto query = [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(
        handle_.get(), p.x.get(), p.y.get(), p.filter.conv.get(), p.w.get(), algo, bytes);
  };
  choose(results, count, precision_, deterministic_, p.filter.conv.get(), p.filter.algo,
         p.filter.workspace, query, "backward-filter", g);
}

std::string CudnnConv::algorithms(const ConvGeometry& g) const {
  const auto it = plans_.find(key(g));
  if (it == plans_.end()) return "no plan for " + describe(g);
  const Plan& p = it->second;
  return fmt::format(
      "{}; {}; {}",
      describe_direction<cudnnConvolutionFwdAlgo_t>("forward", p.fwd.algo, p.fwd.conv.get()),
      describe_direction<cudnnConvolutionBwdDataAlgo_t>("backward data", p.data.algo,
                                                        p.data.conv.get()),
      describe_direction<cudnnConvolutionBwdFilterAlgo_t>("backward filter", p.filter.algo,
                                                          p.filter.conv.get()));
}

void CudnnConv::forward(const ConvGeometry& g, const float* x, const float* w, float* y) {
  Plan& p = plan(g);
  if (p.fwd.algo < 0) choose_forward(p, g);
  void* ws = workspace_.reserve(p.fwd.workspace, stream_);
  const float one = 1.0f, zero = 0.0f;
  EMNIST_CUDNN_CHECK(cudnnConvolutionForward(handle_.get(), &one, p.x.get(), x, p.w.get(), w,
                                             p.fwd.conv.get(),
                                             static_cast<cudnnConvolutionFwdAlgo_t>(p.fwd.algo), ws,
                                             p.fwd.workspace, &zero, p.y.get(), y));
}

void CudnnConv::backward_data(const ConvGeometry& g, const float* w, const float* dy, float* dx,
                              bool accumulate) {
  Plan& p = plan(g);
  if (p.data.algo < 0) choose_backward_data(p, g);
  void* ws = workspace_.reserve(p.data.workspace, stream_);
  const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  EMNIST_CUDNN_CHECK(cudnnConvolutionBackwardData(
      handle_.get(), &one, p.w.get(), w, p.y.get(), dy, p.data.conv.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(p.data.algo), ws, p.data.workspace, &beta,
      p.x.get(), dx));
}

void CudnnConv::backward_filter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  Plan& p = plan(g);
  if (p.filter.algo < 0) choose_backward_filter(p, g);
  void* ws = workspace_.reserve(p.filter.workspace, stream_);
  const float one = 1.0f, zero = 0.0f;
  EMNIST_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      handle_.get(), &one, p.x.get(), x, p.y.get(), dy, p.filter.conv.get(),
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.filter.algo), ws, p.filter.workspace, &zero,
      p.w.get(), dw));
}

}  // namespace emnist::cuda
