// The overlap part of the backend contract: page-locked host memory, asynchronous copies on the
// compute stream or the copy stream, and events between them and the host.
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void* CudaBackend::host_allocate(size_t bytes) {
  const OpRange range{"host_allocate"};
  void* ptr = nullptr;
  if (bytes != 0) EMNIST_CUDA_CHECK(cudaMallocHost(&ptr, bytes));
  return ptr;
}

void CudaBackend::host_release(void* ptr) {
  // cudaFreeHost waits for the device, so a copy still queued on this memory finishes first.
  if (ptr != nullptr) static_cast<void>(cudaFreeHost(ptr));
}

void CudaBackend::copy_from_host_async(void* dst, const void* src, size_t bytes, Queue q) {
  const OpRange range{"copy_from_host_async"};
  if (bytes != 0)
    EMNIST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, queue(q)));
}

void CudaBackend::copy_to_host_async(void* dst, const void* src, size_t bytes, Queue q) {
  const OpRange range{"copy_to_host_async"};
  if (bytes != 0)
    EMNIST_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, queue(q)));
}

void* CudaBackend::event_create() {
  cudaEvent_t event = nullptr;
  EMNIST_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  return event;
}

void CudaBackend::event_destroy(void* event) {
  if (event != nullptr) static_cast<void>(cudaEventDestroy(static_cast<cudaEvent_t>(event)));
}

void CudaBackend::event_record(void* event, Queue q) {
  EMNIST_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), queue(q)));
}

void CudaBackend::queue_wait(Queue q, void* event) {
  EMNIST_CUDA_CHECK(cudaStreamWaitEvent(queue(q), static_cast<cudaEvent_t>(event), 0));
}

// event_done and event_wait may run on a thread of their own (the pinned feeder's loader). Without
// a device of its own, that thread's first CUDA call would create a context on GPU 0 whatever
// train.device says.
void CudaBackend::bind_calling_thread() const { EMNIST_CUDA_CHECK(cudaSetDevice(options_.device)); }

bool CudaBackend::event_done(void* event) {
  bind_calling_thread();
  const cudaError_t status = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (status == cudaErrorNotReady) {
    // Not an error: cleared, so that the next launch check does not report it.
    static_cast<void>(cudaGetLastError());
    return false;
  }
  EMNIST_CUDA_CHECK(status);
  return true;
}

void CudaBackend::event_wait(void* event) {
  const OpRange range{"event_wait"};
  bind_calling_thread();
  EMNIST_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event)));
}

}  // namespace emnist::cuda
