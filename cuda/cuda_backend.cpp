// The CUDA backend's construction and its memory operations; the ops live one family per file
// beside this one (cuda_linear.cpp, cuda_conv2d.cpp, ...).
#include "cuda_backend.hpp"

#include <cuda_profiler_api.h>

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "cuda_check.hpp"
#include "device_memory.hpp"
#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

CudaBackend::CudaBackend(const CudaOptions& options) : options_(options) {
  EMNIST_CUDA_CHECK(cudaSetDevice(options_.device));
  EMNIST_CUDA_CHECK(
      cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, options_.device));
  stream_ = create_stream();
  copy_stream_ = create_stream();
  gemm_ = std::make_unique<LtGemm>(stream_.get(), options_.precision);
  conv_ = std::make_unique<CudnnConv>(stream_.get(), options_.precision, options_.deterministic);
}

CudaBackend::~CudaBackend() {
  // Nothing queued may outlive the handles and workspaces it uses; an error here has nowhere to go.
  static_cast<void>(cudaStreamSynchronize(stream_.get()));
  static_cast<void>(cudaStreamSynchronize(copy_stream_.get()));
}

std::string CudaBackend::name() const { return "cuda"; }

CudaBackend::ChannelWork CudaBackend::channel_split(const char* op, int64_t n, int64_t c,
                                                    int64_t s) {
  checks::OpCheck(Device::cuda, op)
      .require(n * s <= std::numeric_limits<int32_t>::max(),
               "a sum over 2^31 or more values (a channel's batch x height x width, or the "
               "weights), beyond this backend's 32-bit indices: use a smaller batch");
  const kernels::ChannelSplit split = kernels::channel_split(n, c, s, multiprocessors_);
  channel_scratch_.reserve(split.scratch_bytes(), stream_.get());
  return {split, channel_scratch_.data()};
}

void* CudaBackend::allocate(size_t bytes) {
  const OpRange range{"allocate"};
  return device_malloc(bytes, "a model or trainer buffer");
}

void CudaBackend::release(void* ptr) {
  const OpRange range{"release"};
  // cudaFree waits for the device, so work still queued on this memory finishes first.
  device_free(ptr);
}

MemoryStats CudaBackend::memory_stats() const { return device_memory_stats(); }

size_t CudaBackend::available_memory() const {
  size_t free_bytes = 0, total_bytes = 0;
  EMNIST_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return free_bytes;
}

void CudaBackend::range_push(const char* name) {
  nvtxEventAttributes_t attributes{};
  attributes.version = NVTX_VERSION;
  attributes.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
  attributes.messageType = NVTX_MESSAGE_TYPE_ASCII;
  attributes.message.ascii = name;
  nvtxDomainRangePushEx(nvtx3::domain::get<NvtxDomain>(), &attributes);
}

void CudaBackend::range_pop() { nvtxDomainRangePop(nvtx3::domain::get<NvtxDomain>()); }

void CudaBackend::profiler_start() { EMNIST_CUDA_CHECK(cudaProfilerStart()); }

void CudaBackend::profiler_stop() {
  // The window ends when the device has finished the work queued inside it.
  EMNIST_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
  EMNIST_CUDA_CHECK(cudaProfilerStop());
}

bool CudaBackend::capture_begin() {
  // Thread-local mode: only this thread's unsafe calls (a cudaMalloc, say) invalidate the capture.
  EMNIST_CUDA_CHECK(cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal));
  return true;
}

int CudaBackend::capture_end() {
  cudaGraph_t raw = nullptr;
  cudaError_t err = cudaStreamEndCapture(stream_.get(), &raw);
  const Graph graph(raw);
  if (err != cudaSuccess) {
    static_cast<void>(cudaGetLastError());  // a failed capture is reported by the -1, not later
    return -1;
  }
  cudaGraphExec_t exec = nullptr;
  err = cudaGraphInstantiate(&exec, graph.get(), 0);
  if (err != cudaSuccess) {
    static_cast<void>(cudaGetLastError());
    return -1;
  }
  graphs_.emplace_back(exec);
  return static_cast<int>(graphs_.size() - 1);
}

void CudaBackend::capture_abort() {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream_.get(), &status) != cudaSuccess ||
      status == cudaStreamCaptureStatusNone) {
    static_cast<void>(cudaGetLastError());
    return;
  }
  cudaGraph_t raw = nullptr;
  static_cast<void>(cudaStreamEndCapture(stream_.get(), &raw));
  const Graph discarded(raw);
  static_cast<void>(cudaGetLastError());
}

void CudaBackend::replay(int graph) {
  const OpRange range{"replay"};
  if (graph < 0 || static_cast<size_t>(graph) >= graphs_.size())
    throw std::invalid_argument("replay: no such graph");
  EMNIST_CUDA_CHECK(cudaGraphLaunch(graphs_[static_cast<size_t>(graph)].get(), stream_.get()));
}

void CudaBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  const OpRange range{"copy_from_host"};
  if (bytes == 0) return;
  EMNIST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_.get()));
  cudaPointerAttributes attributes{};
  EMNIST_CUDA_CHECK(cudaPointerGetAttributes(&attributes, src));
  if (attributes.type == cudaMemoryTypeHost)
    EMNIST_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

void CudaBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  const OpRange range{"copy_to_host"};
  if (bytes == 0) return;
  EMNIST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_.get()));
  EMNIST_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  const OpRange range{"copy"};
  if (bytes == 0 || dst == src) return;
  EMNIST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_.get()));
}

void CudaBackend::fill(Tensor t, float value) {
  const OpRange range{"fill"};
  if (t.empty()) return;
  checks::fill(Device::cuda, t);
  kernels::fill(t.data, t.numel(), value, stream_.get());
}

void CudaBackend::zero(void* ptr, size_t bytes) {
  const OpRange range{"zero"};
  if (bytes == 0) return;
  EMNIST_CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, stream_.get()));
}

void CudaBackend::synchronize() {
  const OpRange range{"synchronize"};
  EMNIST_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

}  // namespace emnist::cuda
