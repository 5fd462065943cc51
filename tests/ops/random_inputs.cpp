#include "ops/random_inputs.hpp"

#include <limits>
#include <random>

namespace emnist::test {

std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

std::vector<float> quantized(size_t n, int levels, float step, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, levels - 1);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(gen)) * step;
  return v;
}

std::vector<int32_t> labels(size_t n, int classes, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int32_t> dist(0, classes - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(gen);
  return v;
}

std::vector<float> nan_vector(size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

}  // namespace emnist::test
