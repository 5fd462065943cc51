#pragma once
// Deterministic sums in double. Four interleaved accumulators, combined in one fixed order: the
// same bits on every run, and about four times the throughput of a single dependent chain of
// additions (the compiler may not reorder floating-point sums on its own).
#include <cstdint>

namespace emnist::cpu {

// Four lanes of double: the four accumulators as one value, so that the additions run as vector
// instructions (two SSE2 or one AVX instruction) with each lane's bits those of a scalar chain.
using Double4 = double __attribute__((vector_size(4 * sizeof(double))));

// Sum over i in [0, n) of term(i), where term returns a double.
template <class Term>
double sum_double(int64_t n, Term term) {
  Double4 acc = {0.0, 0.0, 0.0, 0.0};
  const int64_t full = n - n % 4;
  for (int64_t i = 0; i < full; i += 4)
    acc += Double4{term(i), term(i + 1), term(i + 2), term(i + 3)};
  for (int64_t i = full; i < n; ++i) acc[0] += term(i);  // the last n % 4 terms
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Two sums in one pass over the data: a += first(i), b += second(i).
template <class First, class Second>
void sum2_double(int64_t n, First first, Second second, double& a, double& b) {
  Double4 acc_a = {0.0, 0.0, 0.0, 0.0};
  Double4 acc_b = {0.0, 0.0, 0.0, 0.0};
  const int64_t full = n - n % 4;
  for (int64_t i = 0; i < full; i += 4) {
    const Double4 terms_a = {first(i), first(i + 1), first(i + 2), first(i + 3)};
    const Double4 terms_b = {second(i), second(i + 1), second(i + 2), second(i + 3)};
    acc_a += terms_a;
    acc_b += terms_b;
  }
  for (int64_t i = full; i < n; ++i) {  // the last n % 4 terms
    acc_a[0] += first(i);
    acc_b[0] += second(i);
  }
  a = (acc_a[0] + acc_a[1]) + (acc_a[2] + acc_a[3]);
  b = (acc_b[0] + acc_b[1]) + (acc_b[2] + acc_b[3]);
}

// sum2_double for 16 sums side by side (the 16 channels of an nchw16c block): a[l] = the sum of
// first(i, l) and b[l] that of second(i, l) over i in [0, n), each lane's terms in sum2_double's
// order, so that each has the bits sum2_double gives for that lane alone. The inner loops run
// across the lanes, which lie next to each other in memory.
template <class First, class Second>
void sum2_double_x16(int64_t n, First first, Second second, double* a, double* b) {
  double acc_a[4][16] = {}, acc_b[4][16] = {};
  const int64_t full = n - n % 4;
  for (int64_t i = 0; i < full; i += 4) {
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < 16; ++l) {
        acc_a[j][l] += first(i + j, l);
        acc_b[j][l] += second(i + j, l);
      }
    }
  }
  for (int64_t i = full; i < n; ++i) {  // the last n % 4 terms
    for (int l = 0; l < 16; ++l) {
      acc_a[0][l] += first(i, l);
      acc_b[0][l] += second(i, l);
    }
  }
  for (int l = 0; l < 16; ++l) {
    a[l] = (acc_a[0][l] + acc_a[1][l]) + (acc_a[2][l] + acc_a[3][l]);
    b[l] = (acc_b[0][l] + acc_b[1][l]) + (acc_b[2][l] + acc_b[3][l]);
  }
}

}  // namespace emnist::cpu
