#include "emnist/epoch_order.hpp"

#include <algorithm>
#include <utility>

#include "emnist/element_math.hpp"

namespace emnist {

std::vector<int64_t> epoch_order(uint64_t seed, int epoch, int64_t count) {
  std::vector<std::pair<uint64_t, int64_t>> keyed(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    keyed[static_cast<size_t>(i)] = {
        math::shuffle_key(seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(i)), i};
  // Ties are broken by position, which is what a stable sort by key alone gives.
  std::sort(keyed.begin(), keyed.end());
  std::vector<int64_t> order(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    order[static_cast<size_t>(i)] = keyed[static_cast<size_t>(i)].second;
  return order;
}

}  // namespace emnist
