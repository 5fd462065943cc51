// The CPU backend's double sums keep one documented order whatever the compiler makes of them:
// four interleaved lanes (term i into lane i % 4, the last n % 4 terms into lane 0), combined as
// (lane 0 + lane 1) + (lane 2 + lane 3). Batch norm's statistics, and so every trained model's
// bits, rest on it.
#include <catch2/catch.hpp>

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

}  // namespace emnist::test
