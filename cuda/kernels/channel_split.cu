// How many chunks each channel's elements are cut into (kernels.hpp, ChannelSplit).
#include <algorithm>

#include "kernels/channel_chunks.hpp"
#include "kernels/kernels.hpp"

namespace emnist::cuda::kernels {

ChannelSplit channel_split(int64_t n, int64_t c, int64_t s, int multiprocessors) {
  // kChannelBlocksPerMultiprocessor blocks a multiprocessor over all channels, but no chunk under
  // four elements a thread (the last of a channel's may be shorter): below that, the second
  // kernel's reading of the chunk sums and the launch would cost more than the parallelism buys.
  constexpr int64_t kLeast = 4 * kChannelThreads;
  const int64_t count = n * s;
  const int64_t blocks = int64_t{kChannelBlocksPerMultiprocessor} * std::max(multiprocessors, 1);
  const int64_t wanted = (blocks + c - 1) / std::max<int64_t>(c, 1);
  const int64_t most = count / kLeast;  // rounded down, so that chunks are at least kLeast long
  return ChannelSplit{n, c, s, std::max<int64_t>(1, std::min(wanted, most))};
}

}  // namespace emnist::cuda::kernels
