#include "ops/op_target.hpp"

#include <catch2/catch.hpp>

#include <cmath>

namespace emnist::test {
namespace {

template <typename F>
void compare(const OpTarget& target, const std::vector<F>& got, const std::vector<F>& ref,
             Tolerance across_backends, const std::string& what) {
  if (!target.bit_identical_to_reference()) {
    expect_close(got, ref, across_backends, what);
    return;
  }
  size_t ref_non_finite = 0;
  for (F r : ref) ref_non_finite += !std::isfinite(r);
  INFO(what << ": " << ref_non_finite << " reference elements not finite");
  REQUIRE(ref_non_finite == 0);  // the reference itself must be sound
  expect_same_bits(got, ref, what);
}

}  // namespace

Tolerance OpTarget::gemm(int64_t k, double bound) const {
  return gemm_tolerance(gemm_rounding(), k, bound);
}

Tolerance OpTarget::conv(int64_t k, double bound) const {
  return gemm_tolerance(conv_rounding(), k, bound);
}

void OpTarget::expect_close(const std::vector<float>& got, const std::vector<float>& ref,
                            Tolerance across_backends, const std::string& what) const {
  compare(*this, got, ref, across_backends, what);
}

void OpTarget::expect_close(const std::vector<double>& got, const std::vector<double>& ref,
                            Tolerance across_backends, const std::string& what) const {
  compare(*this, got, ref, across_backends, what);
}

}  // namespace emnist::test
