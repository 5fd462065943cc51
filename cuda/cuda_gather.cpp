// Batches gathered on the device from a resident split (see kernels/gather.cu).
#include "cuda_backend.hpp"

#include <cstdint>

#include "kernels/kernels.hpp"
#include "nvtx.hpp"
#include "op_checks.hpp"

namespace emnist::cuda {

void CudaBackend::epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count,
                             int64_t* rows) {
  const char* op = "epoch_rows";
  const OpRange range{op};
  require(indices != nullptr && rows != nullptr && count >= 0 && count <= INT32_MAX, op,
          "indices or rows is null, or count outside [0, 2^31)");
  const size_t bytes = kernels::epoch_rows_scratch(count);
  void* scratch = shuffle_scratch_.reserve(bytes, stream_.get());
  kernels::epoch_rows(seed, epoch, indices, count, rows, scratch, bytes, stream_.get());
}

void CudaBackend::gather_batch(const uint8_t* images, const int32_t* labels, int64_t count,
                               const int64_t* rows, Tensor x, int32_t* y) {
  const char* op = "gather_batch";
  const OpRange range{op};
  require(images != nullptr && labels != nullptr && rows != nullptr && y != nullptr, op,
          "images, labels, rows or y is null");
  require_tensor(x, -1, op, "x");
  const int64_t n = x.dim(0);
  kernels::gather_batch(images, labels, count, rows, n, x.numel() / n, x.data, y, stream_.get());
}

}  // namespace emnist::cuda
