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

size_t nchw16c_index(int64_t c, int64_t h, int64_t w, int64_t in, int64_t ic, int64_t ih,
                     int64_t iw) {
  return static_cast<size_t>(((in * (c / 16) + ic / 16) * h * w + ih * w + iw) * 16 + ic % 16);
}

namespace {

std::vector<float> permute_nchw16c(const std::vector<float>& from, int64_t n, int64_t c, int64_t h,
                                   int64_t w, bool to_blocked) {
  if (c % 16 != 0 || from.size() != static_cast<size_t>(n * c * h * w))
    throw std::invalid_argument("nchw16c: C not a multiple of 16, or the wrong size");
  std::vector<float> to(from.size());
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw) {
          const auto plain = static_cast<size_t>(((in * c + ic) * h + ih) * w + iw);
          const size_t blocked = nchw16c_index(c, h, w, in, ic, ih, iw);
          if (to_blocked)
            to[blocked] = from[plain];
          else
            to[plain] = from[blocked];
        }
  return to;
}

}  // namespace

std::vector<float> to_nchw16c(const std::vector<float>& plain, int64_t n, int64_t c, int64_t h,
                              int64_t w) {
  return permute_nchw16c(plain, n, c, h, w, true);
}

std::vector<float> to_plain(const std::vector<float>& blocked, int64_t n, int64_t c, int64_t h,
                            int64_t w) {
  return permute_nchw16c(blocked, n, c, h, w, false);
}

Tensor nchw16c_view(std::vector<float>& v, std::initializer_list<int64_t> dims) {
  Tensor t(v.data(), dims);
  t.layout = Layout::nchw16c;
  return t;
}

}  // namespace emnist::test
