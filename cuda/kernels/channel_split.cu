// How many chunks each channel's elements are cut into (kernels.hpp, ChannelSplit).
#include <algorithm>

#include "kernels/channel_chunks.hpp"
#include "kernels/kernels.hpp"

namespace emnist::cuda::kernels {

ChannelSplit channel_split(int64_t n, int64_t c, int64_t s, int multiprocessors) {
  // Four blocks of kChannelThreads (a full multiprocessor's threads) per multiprocessor over all
  // channels, but no chunk under four elements a thread: below that, the second kernel's reading
  // of the chunk sums and the launch would cost more than the parallelism buys.
  const int64_t count = n * s;
  const int64_t wanted =
      (4 * int64_t{std::max(multiprocessors, 1)} + c - 1) / std::max<int64_t>(c, 1);
  const int64_t most = (count + 4 * kChannelThreads - 1) / (4 * kChannelThreads);
  return ChannelSplit{n, c, s, std::max<int64_t>(1, std::min(wanted, most))};
}

}  // namespace emnist::cuda::kernels
