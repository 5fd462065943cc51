// emnist_tests' target of the op-test table: the CPU backend at more OpenMP threads than the
// reference's one, in host memory with guard regions.
//
// Every op of the CPU backend is written so that its result does not depend on the thread count
// (fixed-size gemm pieces in cpu_gemm.cpp, each sgemm on its calling thread, convolutions in
// fixed-size groups of samples, per-channel and per-row sums taken whole by one thread): the
// comparison is bit for bit. A share of work computed wrongly for some thread's range (an element
// left out, written twice, or summed in another order) shows.
#include <catch2/catch.hpp>

#include <omp.h>

#include <memory>

#include "ops/op_target.hpp"
#include "ops/thread_limit.hpp"

namespace emnist::test {
namespace {

// Three: an odd count, so shares are uneven and no boundary falls where one thread's would; more
// threads than a two-core CI runner has is fine (OMP_WAIT_POLICY=passive keeps them from spinning).
constexpr int kThreads = 3;

class CpuTarget final : public OpTarget {
 public:
  std::string name() const override { return "cpu, " + std::to_string(kThreads) + " threads"; }
  Backend& backend() override { return *backend_; }

  void run(const std::function<void(Backend&)>& ops) override {
    const ThreadLimit limit(kThreads);
    // A parallel region started here must get the threads, or the comparison with the reference's
    // one thread would compare one thread with itself (OMP_DYNAMIC or OMP_THREAD_LIMIT could
    // lower the count).
    int team = 0;
#pragma omp parallel
    {
#pragma omp single
      team = omp_get_num_threads();
    }
    INFO("OpenMP threads in a parallel region of the CPU target");
    REQUIRE(team == kThreads);
    ops(*backend_);
  }

  bool bit_identical_to_reference() const override { return true; }
  Rounding gemm_rounding() const override { return Rounding::fp32; }
  Rounding conv_rounding() const override { return Rounding::fp32; }
  std::string conv2d_algorithms(Tensor, Tensor, Tensor, Conv2dParams) override {
    return "oneDNN direct convolution, groups of 16 samples";
  }

 private:
  // Its own backend, not the reference's: no scratch buffer is shared between the two.
  std::unique_ptr<Backend> backend_ = make_cpu_backend();
};

}  // namespace

OpTarget& op_target(Rounding rounding, bool deterministic) {
  INFO("the CPU backend has no " << choice_name(rounding) << (deterministic ? " deterministic" : "")
                                 << " mode");
  REQUIRE(rounding == Rounding::fp32);
  REQUIRE_FALSE(deterministic);
  static CpuTarget target;
  return target;
}

bool op_target_has(Rounding rounding) { return rounding == Rounding::fp32; }

}  // namespace emnist::test
