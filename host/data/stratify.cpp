// Stratification primitives shared by make_splits and stratified_kfold.
#include "data/stratify.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "emnist/element_math.hpp"

namespace emnist::data {

std::vector<std::vector<int64_t>> shuffled_by_class(const ImageSet& set,
                                                    const std::vector<int64_t>& indices,
                                                    int num_classes, uint64_t seed,
                                                    ShufflePurpose purpose) {
  std::vector<std::vector<int64_t>> groups(static_cast<size_t>(num_classes));
  for (int64_t i : indices) {
    const int32_t label = set.labels.at(static_cast<size_t>(i));
    if (label < 0 || label >= num_classes) throw std::out_of_range("label outside 0..classes-1");
    groups[static_cast<size_t>(label)].push_back(i);
  }
  for (size_t c = 0; c < groups.size(); ++c) {
    auto& group = groups[c];
    // Sorting first makes the order depend only on which indices are given, not their order.
    std::sort(group.begin(), group.end());
    const uint64_t stream =
        math::kStreamSplit ^ (static_cast<uint64_t>(purpose) << 8) ^ (uint64_t{c} << 24);
    for (size_t i = group.size(); i > 1; --i) {
      // The modulo's bias is below i / 2^64: immaterial for any dataset that fits in memory.
      const size_t j = static_cast<size_t>(math::random_bits(seed, stream, i - 1) % i);
      std::swap(group[i - 1], group[j]);
    }
  }
  return groups;
}

std::vector<int64_t> apportion(const std::vector<int64_t>& counts, int64_t total) {
  const int64_t n = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::vector<int64_t> shares(counts.size(), 0);
  if (n == 0 || total <= 0) return shares;
  total = std::min(total, n);
  std::vector<std::pair<int64_t, size_t>> remainders;  // (remainder, class)
  int64_t given = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    // counts[c] * total <= n^2: exact in 64 bits for any n below 3e9.
    shares[c] = counts[c] * total / n;
    remainders.emplace_back(counts[c] * total % n, c);
    given += shares[c];
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < total; ++i, ++given) ++shares[remainders[i].second];
  return shares;
}

}  // namespace emnist::data
