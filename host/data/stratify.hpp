#pragma once
// The two steps every stratified split shares: group indices by class in a seeded random order, and
// share a total out among classes in proportion to their sizes.
#include <cstdint>
#include <vector>

#include "emnist/data.hpp"

namespace emnist::data {

// What a shuffle is for, so that the same seed gives unrelated orders for unrelated purposes.
enum class ShufflePurpose : uint64_t { train_pool = 1, test_set = 2, kfold = 3 };

// `indices` grouped by class (label of `set`), each group shuffled with a Fisher-Yates driven by
// math::random_bits on stream kStreamSplit: the same order on every machine and compiler.
std::vector<std::vector<int64_t>> shuffled_by_class(const ImageSet& set,
                                                    const std::vector<int64_t>& indices,
                                                    int num_classes, uint64_t seed,
                                                    ShufflePurpose purpose);

// Largest-remainder apportionment: shares of `total` proportional to `counts`, each the exact
// proportional share rounded down or up, summing to exactly `total` (ties go to the lower class).
std::vector<int64_t> apportion(const std::vector<int64_t>& counts, int64_t total);

}  // namespace emnist::data
