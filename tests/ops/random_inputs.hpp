#pragma once
// Reproducible random inputs of the op tests (std::mt19937 from a seed), shared by the CPU tests,
// the op-test table and the CUDA tests.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emnist::test {

// n values uniform in [lo, hi).
std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed);
// n values drawn from {0, 1, ..., levels - 1} * step: many exact ties, for tie-breaking rules.
std::vector<float> quantized(size_t n, int levels, float step, uint32_t seed);
// n class labels in [0, classes).
std::vector<int32_t> labels(size_t n, int classes, uint32_t seed);
// n quiet NaNs: an output poisoned with them shows every element an op forgot to write.
std::vector<float> nan_vector(size_t n);

}  // namespace emnist::test
