#pragma once
// The backend under test in the op-test table (tests/ops/*_cases.cpp), against the reference (the
// CPU backend at one OpenMP thread, reference.hpp).
//
// Each case of the table is written once and runs in every test program on that program's
// targets: cuda_tests on the CUDA backend in each precision mode (cuda/cuda_target.cpp),
// emnist_tests on the CPU backend at several threads (cpu/cpu_target.cpp), so the table runs on
// every machine and a case that stops running shows in both.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "ops/tolerance.hpp"

namespace emnist::test {

class OpTarget {
 public:
  virtual ~OpTarget() = default;

  // Named in every failure message.
  virtual std::string name() const = 0;
  // For buffers (Guarded) on the target, which need no setting of its own.
  virtual Backend& backend() = 0;
  // Runs ops on the target as it is meant to run them (the CPU target with its thread count).
  virtual void run(const std::function<void(Backend&)>& ops) = 0;

  // The tolerance policy. True when the target runs the reference's own code, whose results do not
  // depend on the setting the target changes: every comparison is then bit for bit, and the
  // tolerance a case allows between backends does not apply.
  virtual bool bit_identical_to_reference() const = 0;
  // The rounding of the target's matrix products and of its convolutions, for gemm_tolerance.
  virtual Rounding gemm_rounding() const = 0;
  virtual Rounding conv_rounding() const = 0;
  // The convolution algorithms the target picks for these shapes, for failure messages.
  virtual std::string conv2d_algorithms(Tensor x, Tensor w, Tensor y, Conv2dParams p) = 0;

  // Tolerances of a k-term product (or convolution) sum of terms at most `bound`.
  Tolerance gemm(int64_t k, double bound) const;
  Tolerance conv(int64_t k, double bound) const;
  // got against ref under the policy: `across_backends` where the code differs, else bit for bit
  // (and then the reference must still be finite, as expect_close requires).
  void expect_close(const std::vector<float>& got, const std::vector<float>& ref,
                    Tolerance across_backends, const std::string& what) const;
  void expect_close(const std::vector<double>& got, const std::vector<double>& ref,
                    Tolerance across_backends, const std::string& what) const;
};

// Provided by each test program: its target for a rounding mode and, where the backend has one,
// its deterministic mode. A program without the mode FAILs the test that asks.
OpTarget& op_target(Rounding rounding = Rounding::fp32, bool deterministic = false);
// Whether this program's target has the rounding mode.
bool op_target_has(Rounding rounding);

}  // namespace emnist::test
