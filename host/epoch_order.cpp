#include "emnist/epoch_order.hpp"

#include <algorithm>
#include <map>
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

namespace {

// Uniform in [0, n) from 64 random bits: the high half of their product with n (bias below
// n / 2^64).
__extension__ typedef unsigned __int128 Wide;  // GCC's and Clang's, outside ISO C++
int64_t below(uint64_t bits, size_t n) { return static_cast<int64_t>((Wide{bits} * n) >> 64); }

}  // namespace

std::vector<int64_t> balanced_draws(uint64_t seed, int epoch, const std::vector<int32_t>& labels) {
  std::map<int32_t, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<int64_t>(i));
  std::vector<const std::vector<int64_t>*> classes;
  for (const auto& [label, positions] : by_class) classes.push_back(&positions);
  const uint64_t key =
      math::stream_key(seed, math::kStreamBalance ^ (static_cast<uint64_t>(epoch) << 8));
  std::vector<int64_t> draws(labels.size());
  for (size_t i = 0; i < draws.size(); ++i) {
    const std::vector<int64_t>& members =
        *classes[static_cast<size_t>(below(math::keyed_bits(key, 2 * i), classes.size()))];
    draws[i] =
        members[static_cast<size_t>(below(math::keyed_bits(key, 2 * i + 1), members.size()))];
  }
  return draws;
}

}  // namespace emnist
