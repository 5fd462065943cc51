// Batches gathered on the device from a resident split (see kernels/gather.cu).
#include "cuda_backend.hpp"

#include <cstdint>

#include "emnist/op_checks.hpp"
#include "kernels/kernels.hpp"
#include "nvtx.hpp"

namespace emnist::cuda {

void CudaBackend::epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                             int64_t* rows) {
  const char* op = "epoch_rows";
  const OpRange range{op};
  checks::epoch_rows(Device::cuda, indices, count, rows);
  checks::OpCheck(Device::cuda, op).require(count <= INT32_MAX, "count outside [0, 2^31)");
  const size_t bytes = kernels::epoch_rows_scratch(count);
  void* scratch = shuffle_scratch_.reserve(bytes, stream_.get());
  kernels::epoch_rows(seed, epoch, indices, count, rows, scratch, bytes, stream_.get());
}

void CudaBackend::gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                               const int64_t* rows, Tensor x, int32_t* y,
                               const BatchAugment* augment) {
  const char* op = "gather_batch";
  const OpRange range{op};
  checks::gather_batch(Device::cuda, images, labels, rows, x, y, augment);
  const int64_t n = x.dim(0);
  kernels::gather_batch(images, labels, count, rows, n, x.numel() / n, x.data, y, augment,
                        stream_.get());
}

}  // namespace emnist::cuda
