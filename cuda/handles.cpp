#include "handles.hpp"

#include "cuda_check.hpp"

namespace emnist::cuda {

Stream create_stream() {
  cudaStream_t stream = nullptr;
  EMNIST_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return Stream(stream);
}

CublasLtHandle create_cublaslt() {
  cublasLtHandle_t handle = nullptr;
  EMNIST_CUBLAS_CHECK(cublasLtCreate(&handle));
  return CublasLtHandle(handle);
}

CudnnHandle create_cudnn(cudaStream_t stream) {
  cudnnHandle_t handle = nullptr;
  EMNIST_CUDNN_CHECK(cudnnCreate(&handle));
  CudnnHandle owned(handle);
  EMNIST_CUDNN_CHECK(cudnnSetStream(handle, stream));
  return owned;
}

MatrixLayout create_matrix_layout(uint64_t rows, uint64_t cols, int64_t ld) {
  cublasLtMatrixLayout_t layout = nullptr;
  EMNIST_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&layout, CUDA_R_32F, rows, cols, ld));
  return MatrixLayout(layout);
}

MatmulDesc create_matmul_desc(cublasComputeType_t compute) {
  cublasLtMatmulDesc_t desc = nullptr;
  // alpha and beta are fp32 host values whatever the compute type.
  EMNIST_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, compute, CUDA_R_32F));
  return MatmulDesc(desc);
}

MatmulPreference create_matmul_preference() {
  cublasLtMatmulPreference_t pref = nullptr;
  EMNIST_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  return MatmulPreference(pref);
}

TensorDesc create_tensor_desc(int n, int c, int h, int w) {
  cudnnTensorDescriptor_t desc = nullptr;
  EMNIST_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
  TensorDesc owned(desc);
  EMNIST_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
  return owned;
}

FilterDesc create_filter_desc(int o, int c, int kh, int kw) {
  cudnnFilterDescriptor_t desc = nullptr;
  EMNIST_CUDNN_CHECK(cudnnCreateFilterDescriptor(&desc));
  FilterDesc owned(desc);
  EMNIST_CUDNN_CHECK(
      cudnnSetFilter4dDescriptor(desc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, o, c, kh, kw));
  return owned;
}

ConvDesc create_conv_desc(int pad, int stride) {
  cudnnConvolutionDescriptor_t desc = nullptr;
  EMNIST_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&desc));
  ConvDesc owned(desc);
  // Cross-correlation (no kernel flip), as PyTorch and the CPU backend compute it; fp32 compute.
  EMNIST_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(desc, pad, pad, stride, stride, 1, 1,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  return owned;
}

}  // namespace emnist::cuda
