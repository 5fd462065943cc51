// Backend::epoch_rows: the epoch's permutation computed on the device, as epoch_order computes it
// on the host: positions sorted by math::shuffle_key with CUB's radix sort, which is stable, so
// ties keep position order as the host's sort of (key, position) pairs does. Then the subset's rows
// in that order, for the resident feeder.
#include <cub/device/device_radix_sort.cuh>

#include <stdexcept>

#include "cuda_check.hpp"
#include "emnist/element_math.hpp"
#include "kernels/kernels.hpp"
#include "kernels/launch.cuh"

namespace emnist::cuda::kernels {
namespace {

__global__ void keys_kernel(uint64_t seed, uint64_t epoch, int64_t count, uint64_t* keys,
                            int64_t* positions) {
  for (int64_t i = global_thread(); i < count; i += grid_stride()) {
    keys[i] = math::shuffle_key(seed, epoch, static_cast<uint64_t>(i));
    positions[i] = i;
  }
}

__global__ void rows_kernel(const int64_t* indices, const int64_t* order, int64_t count,
                            int64_t* rows) {
  for (int64_t i = global_thread(); i < count; i += grid_stride()) rows[i] = indices[order[i]];
}

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Where each part lives in the scratch block.
struct Layout {
  size_t keys_in = 0, keys_out = 0, positions_in = 0, positions_out = 0, sort = 0;
  size_t sort_bytes = 0, total = 0;
};

Layout layout_for(int64_t count) {
  Layout l;
  const int n = static_cast<int>(count);
  EMNIST_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
      nullptr, l.sort_bytes, static_cast<const uint64_t*>(nullptr), static_cast<uint64_t*>(nullptr),
      static_cast<const int64_t*>(nullptr), static_cast<int64_t*>(nullptr), n));
  const size_t keys = aligned(sizeof(uint64_t) * static_cast<size_t>(count));
  const size_t positions = aligned(sizeof(int64_t) * static_cast<size_t>(count));
  l.keys_in = 0;
  l.keys_out = keys;
  l.positions_in = 2 * keys;
  l.positions_out = 2 * keys + positions;
  l.sort = 2 * keys + 2 * positions;
  l.total = l.sort + aligned(l.sort_bytes);
  return l;
}

}  // namespace

size_t epoch_rows_scratch(int64_t count) { return count > 0 ? layout_for(count).total : 0; }

void epoch_rows(uint64_t seed, int epoch, const int64_t* indices, int64_t count, int64_t* rows,
                void* scratch, size_t scratch_bytes, cudaStream_t stream) {
  if (count <= 0) return;
  const Layout l = layout_for(count);
  if (scratch_bytes < l.total) throw std::invalid_argument("epoch_rows: scratch too small");
  char* base = static_cast<char*>(scratch);
  auto* keys_in = reinterpret_cast<uint64_t*>(base + l.keys_in);
  auto* keys_out = reinterpret_cast<uint64_t*>(base + l.keys_out);
  auto* positions_in = reinterpret_cast<int64_t*>(base + l.positions_in);
  auto* positions_out = reinterpret_cast<int64_t*>(base + l.positions_out);
  keys_kernel<<<grid_for(count), kBlock, 0, stream>>>(seed, static_cast<uint64_t>(epoch), count,
                                                      keys_in, positions_in);
  EMNIST_LAUNCH_CHECK();
  size_t sort_bytes = l.sort_bytes;
  EMNIST_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(base + l.sort, sort_bytes, keys_in, keys_out,
                                                    positions_in, positions_out,
                                                    static_cast<int>(count), 0, 64, stream));
  rows_kernel<<<grid_for(count), kBlock, 0, stream>>>(indices, positions_out, count, rows);
  EMNIST_LAUNCH_CHECK();
}

}  // namespace emnist::cuda::kernels
