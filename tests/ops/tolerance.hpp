#pragma once
// How far an op's result on the backend under test may be from the reference's, and the checks
// that apply it. The reason for each op's numbers is stated where it is used.
#include <cstdint>
#include <string>
#include <vector>

#include "emnist/choices.hpp"

namespace emnist::test {

// |got - ref| <= atol + rtol * |ref| for every element, and every element of got finite.
struct Tolerance {
  double atol;
  double rtol;
};
constexpr Tolerance kExact{0.0, 0.0};
// One unit in the last place of a float (2^-23 relative), for the elementwise ops whose formula is
// shared but whose compiled code may round one operation differently.
constexpr Tolerance kOneUlp{1e-37, 1.2e-7};

// How a backend rounds the inputs of its matrix products and convolutions: train.precision's
// modes (the CPU backend is always fp32).
using Rounding = Precision;

// fp32 products of k terms each at most `bound` in magnitude, summed in a different order than
// oneDNN's sgemm does: the rounding error is at most about k * 2^-24 * bound, and in practice far
// less. TF32 rounds both inputs to 10 mantissa bits (up to 2^-10 relative each if truncated), BF16
// to 7.
Tolerance gemm_tolerance(Rounding rounding, int64_t k, double bound);

void expect_close(const std::vector<float>& got, const std::vector<float>& ref, Tolerance tol,
                  const std::string& what);
void expect_close(const std::vector<double>& got, const std::vector<double>& ref, Tolerance tol,
                  const std::string& what);
// Bit-for-bit equality (floats compared as bits, so NaN == NaN and -0 != +0).
void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b,
                      const std::string& what);
void expect_same_bits(const std::vector<double>& a, const std::vector<double>& b,
                      const std::string& what);

// ||got - ref|| / ||ref|| (Euclidean), for comparing whole tensors that went through many ops.
double relative_l2(const std::vector<float>& got, const std::vector<float>& ref);

}  // namespace emnist::test
