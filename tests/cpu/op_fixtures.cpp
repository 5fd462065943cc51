#include "cpu/op_fixtures.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <stdexcept>

namespace emnist::test {

std::vector<float> random_away_from_zero(size_t n, float margin, float hi, uint32_t seed) {
  std::vector<float> v = uniform(n, -(hi - margin), hi - margin, seed);
  for (float& x : v) x += x < 0.0f ? -margin : margin;
  return v;
}

std::vector<float> random_distinct(size_t n, float gap, uint32_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  std::vector<float> v(n);
  const double half = static_cast<double>(n) / 2.0;
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>((static_cast<double>(order[i]) - half) * gap);
  return v;
}

int64_t count_non_finite(const std::vector<float>& v) {
  return std::count_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
}

double dot(const std::vector<float>& y, const std::vector<float>& r) {
  if (y.size() != r.size()) throw std::invalid_argument("dot: sizes differ");
  double sum = 0.0;
  for (size_t i = 0; i < y.size(); ++i)
    sum += static_cast<double>(y[i]) * static_cast<double>(r[i]);
  return sum;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("max_abs_diff: sizes differ");
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (!(d <= worst)) worst = d;  // NaN sticks
  }
  return worst;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace emnist::test
