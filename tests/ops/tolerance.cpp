#include "ops/tolerance.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace emnist::test {

Tolerance gemm_tolerance(Rounding rounding, int64_t k, double bound) {
  const double kd = static_cast<double>(k);
  switch (rounding) {
    case Rounding::fp32: {
      // A k-term fp32 sum of products each at most `bound`, in any order, with or without FMA, is
      // off by at most gamma_k * k * bound, gamma_k = k u / (1 - k u), u = 2^-24; both sides
      // round, hence twice that. A rigorous bound for direct summation: cuBLASLt in
      // CUBLAS_COMPUTE_32F, and cuDNN in fp32, which keeps out FFT and Winograd (cudnn_conv.hpp).
      const double u = 0x1p-24;
      return Tolerance{2.0 * kd * u / (1.0 - kd * u) * bound, 0.0};
    }
    case Rounding::tf32:
      // Per product up to ~2^-10 relative; random signs give ~sqrt(k) growth, a bias (truncation)
      // scales with the result itself: the rtol.
      return Tolerance{2e-3 * std::sqrt(kd) * bound, 1e-2};
    case Rounding::bf16:
      return Tolerance{1e-2 * std::sqrt(kd) * bound, 5e-2};
  }
  return Tolerance{0, 0};
}

namespace {

template <typename F>
void compare(const std::vector<F>& got, const std::vector<F>& ref, Tolerance tol,
             const std::string& what) {
  REQUIRE(got.size() == ref.size());
  size_t bad = 0, non_finite = 0, ref_non_finite = 0;
  double worst = 0.0;
  std::ostringstream first;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]), r = static_cast<double>(ref[i]);
    if (!std::isfinite(r)) ++ref_non_finite;
    const double diff = std::fabs(g - r);
    const bool ok = std::isfinite(g) && diff <= tol.atol + tol.rtol * std::fabs(r);
    if (!std::isfinite(g)) ++non_finite;
    if (std::isfinite(diff) && diff > worst) worst = diff;
    if (!ok) {
      if (bad < 5)
        first << "  [" << i << "] got " << g << " want " << r << " diff " << diff << "\n";
      ++bad;
    }
  }
  INFO(what << ": " << got.size() << " elements, tolerance atol " << tol.atol << " rtol "
            << tol.rtol << "; " << bad << " outside (" << non_finite
            << " not finite), largest |diff| " << worst << "\n"
            << first.str());
  REQUIRE(ref_non_finite == 0);  // the reference itself must be sound
  CHECK(bad == 0);
}

template <typename F>
void same_bits(const std::vector<F>& a, const std::vector<F>& b, const std::string& what) {
  REQUIRE(a.size() == b.size());
  size_t differ = 0;
  std::ostringstream first;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(F)) == 0) continue;
    if (differ < 5) first << "  [" << i << "] " << a[i] << " vs " << b[i] << "\n";
    ++differ;
  }
  INFO(what << ": " << differ << " of " << a.size() << " elements differ in their bits\n"
            << first.str());
  CHECK(differ == 0);
}

}  // namespace

void expect_close(const std::vector<float>& got, const std::vector<float>& ref, Tolerance tol,
                  const std::string& what) {
  compare(got, ref, tol, what);
}

void expect_close(const std::vector<double>& got, const std::vector<double>& ref, Tolerance tol,
                  const std::string& what) {
  compare(got, ref, tol, what);
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b,
                      const std::string& what) {
  same_bits(a, b, what);
}

void expect_same_bits(const std::vector<double>& a, const std::vector<double>& b,
                      const std::string& what) {
  same_bits(a, b, what);
}

double relative_l2(const std::vector<float>& got, const std::vector<float>& ref) {
  REQUIRE(got.size() == ref.size());
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = static_cast<double>(got[i]) - static_cast<double>(ref[i]);
    num += d * d;
    den += static_cast<double>(ref[i]) * static_cast<double>(ref[i]);
  }
  if (!std::isfinite(num)) return std::numeric_limits<double>::infinity();
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

}  // namespace emnist::test
