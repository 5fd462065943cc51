#pragma once
// Owners of the CUDA, cuBLASLt and cuDNN objects the backend creates: each is destroyed exactly
// once, when its owner dies, whatever path (normal return or exception) got there.
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>
#include <utility>

namespace emnist::cuda {

// A movable, non-copyable owner of one library handle. Destroy's status is ignored: a destructor
// cannot report it, and a failure to free at shutdown changes nothing the program can act on.
template <typename Handle, auto Destroy>
class Owned {
 public:
  Owned() = default;
  explicit Owned(Handle handle) noexcept : handle_(handle) {}
  ~Owned() { reset(); }
  Owned(Owned&& other) noexcept : handle_(std::exchange(other.handle_, Handle{})) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  Handle get() const noexcept { return handle_; }
  void reset() noexcept {
    if (handle_ != Handle{}) static_cast<void>(Destroy(handle_));
    handle_ = Handle{};
  }

 private:
  Handle handle_{};
};

using Stream = Owned<cudaStream_t, &cudaStreamDestroy>;
using Graph = Owned<cudaGraph_t, &cudaGraphDestroy>;
using GraphExec = Owned<cudaGraphExec_t, &cudaGraphExecDestroy>;
using CublasLtHandle = Owned<cublasLtHandle_t, &cublasLtDestroy>;
using MatmulDesc = Owned<cublasLtMatmulDesc_t, &cublasLtMatmulDescDestroy>;
using MatrixLayout = Owned<cublasLtMatrixLayout_t, &cublasLtMatrixLayoutDestroy>;
using MatmulPreference = Owned<cublasLtMatmulPreference_t, &cublasLtMatmulPreferenceDestroy>;
using CudnnHandle = Owned<cudnnHandle_t, &cudnnDestroy>;
using TensorDesc = Owned<cudnnTensorDescriptor_t, &cudnnDestroyTensorDescriptor>;
using FilterDesc = Owned<cudnnFilterDescriptor_t, &cudnnDestroyFilterDescriptor>;
using ConvDesc = Owned<cudnnConvolutionDescriptor_t, &cudnnDestroyConvolutionDescriptor>;

// A stream that does not synchronise with the legacy default stream, so that nothing another
// library puts there serialises with (or breaks a graph capture of) the backend's work.
Stream create_stream();
CublasLtHandle create_cublaslt();
CudnnHandle create_cudnn(cudaStream_t stream);

// Column-major fp32 matrix of rows x cols with leading dimension ld (cuBLASLt's convention).
MatrixLayout create_matrix_layout(uint64_t rows, uint64_t cols, int64_t ld);
MatmulDesc create_matmul_desc(cublasComputeType_t compute);
MatmulPreference create_matmul_preference();

// Packed NCHW fp32 tensor; packed [O, C, K, K] fp32 filter; 2-d cross-correlation.
TensorDesc create_tensor_desc(int n, int c, int h, int w);
FilterDesc create_filter_desc(int o, int c, int kh, int kw);
ConvDesc create_conv_desc(int pad, int stride);

}  // namespace emnist::cuda
