#pragma once
// Every CUDA, cuBLAS and cuDNN call goes through one of these: a failure names the file, the line,
// the call and the library's own message.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <stdexcept>
#include <string>

namespace emnist::cuda {

[[noreturn]] void throw_cuda_error(const char* library, const char* call, const char* file,
                                   int line, const std::string& message);

}  // namespace emnist::cuda

#define EMNIST_CUDA_CHECK(call)                                           \
  do {                                                                    \
    const cudaError_t emnist_err_ = (call);                               \
    if (emnist_err_ != cudaSuccess)                                       \
      ::emnist::cuda::throw_cuda_error("CUDA", #call, __FILE__, __LINE__, \
                                       cudaGetErrorString(emnist_err_));  \
  } while (0)

#define EMNIST_CUBLAS_CHECK(call)                                           \
  do {                                                                      \
    const cublasStatus_t emnist_st_ = (call);                               \
    if (emnist_st_ != CUBLAS_STATUS_SUCCESS)                                \
      ::emnist::cuda::throw_cuda_error("cuBLAS", #call, __FILE__, __LINE__, \
                                       cublasGetStatusString(emnist_st_));  \
  } while (0)

#define EMNIST_CUDNN_CHECK(call)                                           \
  do {                                                                     \
    const cudnnStatus_t emnist_st_ = (call);                               \
    if (emnist_st_ != CUDNN_STATUS_SUCCESS)                                \
      ::emnist::cuda::throw_cuda_error("cuDNN", #call, __FILE__, __LINE__, \
                                       cudnnGetErrorString(emnist_st_));   \
  } while (0)

// After a kernel launch: a bad configuration is reported at the launch site.
#define EMNIST_LAUNCH_CHECK() EMNIST_CUDA_CHECK(cudaGetLastError())
