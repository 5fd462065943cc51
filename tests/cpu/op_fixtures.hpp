#pragma once
// Shared helpers of the CPU op tests against mathematics: random data with a shape a check needs
// (ops/random_inputs.hpp has the plain kinds, and nan_vector for poisoning outputs), and tensor
// views over vectors.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "emnist/tensor.hpp"
#include "ops/random_inputs.hpp"

namespace emnist::test {

// n values uniform in (-hi, hi), every |value| at least margin (moved away from 0 keeping its
// sign): for inputs that must stay clear of a kink at 0.
std::vector<float> random_away_from_zero(size_t n, float margin, float hi, uint32_t seed);
// n distinct values spaced by at least `gap`, in a random order: max-pool windows then have a
// unique maximum by more than any finite-difference step.
std::vector<float> random_distinct(size_t n, float gap, uint32_t seed);

// Number of non-finite elements.
int64_t count_non_finite(const std::vector<float>& v);

// sum(y * r) in double: the gradient checker's objective.
double dot(const std::vector<float>& y, const std::vector<float>& r);

inline Tensor view(std::vector<float>& v, std::initializer_list<int64_t> dims) {
  return Tensor(v.data(), dims);
}

// Largest |a - b| over the elements (a and b the same size).
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);
// True when the two vectors hold exactly the same bits.
bool bit_identical(const std::vector<float>& a, const std::vector<float>& b);

// The nchw16c layout (tensor.hpp) of an [n, c, h, w] tensor, c a multiple of 16 (else
// std::invalid_argument): where logical element (in, ic, ih, iw) lies in its memory; plain memory
// into that layout and back; and a view of memory in it.
size_t nchw16c_index(int64_t c, int64_t h, int64_t w, int64_t in, int64_t ic, int64_t ih,
                     int64_t iw);
std::vector<float> to_nchw16c(const std::vector<float>& plain, int64_t n, int64_t c, int64_t h,
                              int64_t w);
std::vector<float> to_plain(const std::vector<float>& blocked, int64_t n, int64_t c, int64_t h,
                            int64_t w);
Tensor nchw16c_view(std::vector<float>& v, std::initializer_list<int64_t> dims);

}  // namespace emnist::test
