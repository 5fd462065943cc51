#pragma once
// Deterministic sums in double. Four interleaved accumulators, combined in one fixed order: the
// same bits on every run, and about four times the throughput of a single dependent chain of
// additions (the compiler may not reorder floating-point sums on its own).
#include <cstdint>

namespace emnist::cpu {

// Sum over i in [0, n) of term(i), where term returns a double.
template <class Term>
double sum_double(int64_t n, Term term) {
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  const int64_t full = n - n % 4;
  for (int64_t i = 0; i < full; i += 4) {
    for (int64_t j = 0; j < 4; ++j) acc[j] += term(i + j);
  }
  for (int64_t i = full; i < n; ++i) acc[0] += term(i);  // the last n % 4 terms
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Two sums in one pass over the data: a += first(i), b += second(i).
template <class First, class Second>
void sum2_double(int64_t n, First first, Second second, double& a, double& b) {
  double acc_a[4] = {0.0, 0.0, 0.0, 0.0};
  double acc_b[4] = {0.0, 0.0, 0.0, 0.0};
  const int64_t full = n - n % 4;
  for (int64_t i = 0; i < full; i += 4) {
    for (int64_t j = 0; j < 4; ++j) {
      acc_a[j] += first(i + j);
      acc_b[j] += second(i + j);
    }
  }
  for (int64_t i = full; i < n; ++i) {  // the last n % 4 terms
    acc_a[0] += first(i);
    acc_b[0] += second(i);
  }
  a = (acc_a[0] + acc_a[1]) + (acc_a[2] + acc_a[3]);
  b = (acc_b[0] + acc_b[1]) + (acc_b[2] + acc_b[3]);
}

}  // namespace emnist::cpu
