// The CPU backend's double sums keep one documented order whatever the compiler makes of them:
// four interleaved lanes (term i into lane i % 4, the last n % 4 terms into lane 0), combined as
// (lane 0 + lane 1) + (lane 2 + lane 3). Batch norm's statistics, and so every trained model's
// bits, rest on it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/cpu_reduce.hpp"

namespace emnist::test {
namespace {

// The order written out with scalar additions.
double four_lane_sum(const std::vector<double>& terms) {
  double lane[4] = {0.0, 0.0, 0.0, 0.0};
  const size_t full = terms.size() - terms.size() % 4;
  for (size_t i = 0; i < full; ++i) lane[i % 4] += terms[i];
  for (size_t i = full; i < terms.size(); ++i) lane[0] += terms[i];
  return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

double left_to_right_sum(const std::vector<double>& terms) {
  double total = 0.0;
  for (double t : terms) total += t;
  return total;
}

// Terms whose sum depends on the order of the additions: magnitudes from 1e-3 to 1e15, so that
// double's 53 bits cannot hold every partial sum exactly.
std::vector<double> order_sensitive_terms(size_t n, uint32_t seed) {
  std::vector<double> terms(n);
  uint32_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const double magnitude = (state >> 8) % 7 == 0 ? 1e15 : 1e-3 * static_cast<double>(state % 997);
    terms[i] = (state >> 4) % 2 == 0 ? magnitude : -0.5 * magnitude;
  }
  return terms;
}

}  // namespace

TEST_CASE("cpu double sums add in four interleaved lanes", "[cpu][determinism]") {
  for (size_t n : {size_t{0}, size_t{3}, size_t{4}, size_t{49}, size_t{784}, size_t{1003}}) {
    CAPTURE(n);
    const std::vector<double> a = order_sensitive_terms(n, 11);
    const std::vector<double> b = order_sensitive_terms(n, 12);
    const auto term_a = [&](int64_t i) { return a[static_cast<size_t>(i)]; };
    const auto term_b = [&](int64_t i) { return b[static_cast<size_t>(i)]; };
    const auto count = static_cast<int64_t>(n);

    CHECK(cpu::sum_double(count, term_a) == four_lane_sum(a));
    double sum_a = -1.0, sum_b = -1.0;
    cpu::sum2_double(count, term_a, term_b, sum_a, sum_b);
    CHECK(sum_a == four_lane_sum(a));
    CHECK(sum_b == four_lane_sum(b));
  }
  // By hand, with 2^53 (from where double's spacing is 2): lanes holding 2^53, -2^53, 1 and 1 give
  // (2^53 - 2^53) + (1 + 1) = 2 as specified; combined as (0 + 2) + (1 + 3) they would give
  // (2^53 + 1, rounded to 2^53) + (1 - 2^53) = 1.
  const double big = 9007199254740992.0;  // 2^53
  const std::vector<double> pairs = {big, -big, 1.0, 1.0};
  CHECK(four_lane_sum(pairs) == 2.0);
  CHECK(cpu::sum_double(4, [&](int64_t i) { return pairs[static_cast<size_t>(i)]; }) == 2.0);
  // The tail goes to lane 0: 2^53 + 1 + 1 stays 2^53 there, where a lane of its own would keep
  // 1 + 1 = 2 and give 2^53 + 2.
  const std::vector<double> tail = {big, 0.0, 0.0, 0.0, 1.0, 1.0};
  double tail_sum = -1.0, unused = -1.0;
  const auto tail_term = [&](int64_t i) { return tail[static_cast<size_t>(i)]; };
  cpu::sum2_double(6, tail_term, tail_term, tail_sum, unused);
  CHECK(tail_sum == big);
  CHECK(cpu::sum_double(6, tail_term) == big);
  // The data really tells the orders apart (else the checks above would pass for any order).
  const std::vector<double> long_terms = order_sensitive_terms(1003, 11);
  CHECK(four_lane_sum(long_terms) != left_to_right_sum(long_terms));
}

TEST_CASE("cpu double sums of 16 lanes give each lane's sum2_double bits", "[cpu][determinism]") {
  // Lane l's terms are its own (seeds per lane, so lanes mixed up would show), stored as an
  // nchw16c block stores them: term i of lane l at 16 * i + l. n covers every n % 4 and the empty
  // sum.
  bool some_order_differs = false;
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{6},
                   size_t{7}, size_t{8}, size_t{9}, size_t{17}, size_t{784}}) {
    CAPTURE(n);
    std::vector<std::vector<double>> lane_a(16), lane_b(16);
    std::vector<double> block_a(16 * n), block_b(16 * n);
    for (size_t l = 0; l < 16; ++l) {
      lane_a[l] = order_sensitive_terms(n, static_cast<uint32_t>(100 + 2 * l));
      lane_b[l] = order_sensitive_terms(n, static_cast<uint32_t>(101 + 2 * l));
      for (size_t i = 0; i < n; ++i) {
        block_a[16 * i + l] = lane_a[l][i];
        block_b[16 * i + l] = lane_b[l][i];
      }
    }
    const auto count = static_cast<int64_t>(n);
    double a[16], b[16];
    for (size_t l = 0; l < 16; ++l) a[l] = b[l] = -7.0;  // overwritten, not added to
    cpu::sum2_double_x16(
        count, [&](int64_t i, int l) { return block_a[static_cast<size_t>(16 * i + l)]; },
        [&](int64_t i, int l) { return block_b[static_cast<size_t>(16 * i + l)]; }, a, b);
    for (size_t l = 0; l < 16; ++l) {
      CAPTURE(l);
      const auto& ta = lane_a[l];
      const auto& tb = lane_b[l];
      double want_a = -1.0, want_b = -1.0;
      cpu::sum2_double(
          count, [&](int64_t i) { return ta[static_cast<size_t>(i)]; },
          [&](int64_t i) { return tb[static_cast<size_t>(i)]; }, want_a, want_b);
      // == on doubles that are never NaN: the same bits but for the sign of zero, which the
      // empty sum's +0 settles (std::signbit).
      CHECK(a[l] == want_a);
      CHECK(b[l] == want_b);
      CHECK(std::signbit(a[l]) == std::signbit(want_a));
      CHECK(std::signbit(b[l]) == std::signbit(want_b));
      CHECK(a[l] == four_lane_sum(ta));
      if (a[l] != left_to_right_sum(ta) || b[l] != left_to_right_sum(tb)) some_order_differs = true;
    }
    if (n == 0) {
      for (size_t l = 0; l < 16; ++l) CHECK(a[l] == 0.0);
    }
  }
  // The terms tell the orders apart: another order (a left-to-right sum) gives other bits for
  // some lane and some n, so the checks above would notice a changed order.
  CHECK(some_order_differs);
}

}  // namespace emnist::test
