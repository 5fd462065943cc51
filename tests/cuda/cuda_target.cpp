// cuda_tests' targets of the op-test table: the CUDA backend in each precision mode, with and
// without deterministic algorithms, in device memory with guard regions.
#include "ops/op_target.hpp"

#include <map>
#include <memory>

#include "compare.hpp"

namespace emnist::test {
namespace {

class CudaTarget final : public OpTarget {
 public:
  CudaTarget(Rounding rounding, bool deterministic)
      : rounding_(rounding), deterministic_(deterministic) {}

  std::string name() const override {
    return std::string("cuda ") + std::string(choice_name(rounding_)) +
           (deterministic_ ? " deterministic" : "");
  }
  Backend& backend() override { return cuda_test::gpu(rounding_, deterministic_); }
  void run(const std::function<void(Backend&)>& ops) override { ops(backend()); }

  // Other code (cuBLASLt, cuDNN, the kernels): each case states its tolerance.
  bool bit_identical_to_reference() const override { return false; }
  Rounding gemm_rounding() const override { return rounding_; }
  // cuDNN convolutions use TF32 in both reduced-precision modes (see cudnn_conv.hpp).
  Rounding conv_rounding() const override {
    return rounding_ == Rounding::fp32 ? Rounding::fp32 : Rounding::tf32;
  }
  std::string conv2d_algorithms(Tensor x, Tensor w, Tensor y, Conv2dParams p) override {
    return static_cast<cuda::CudaBackend&>(backend()).conv2d_algorithms(x, w, y, p);
  }

 private:
  Rounding rounding_;
  bool deterministic_;
};

}  // namespace

OpTarget& op_target(Rounding rounding, bool deterministic) {
  // Never destroyed, like the backends themselves (compare.cpp).
  static auto* targets = new std::map<std::pair<Rounding, bool>, std::unique_ptr<CudaTarget>>;
  auto& slot = (*targets)[{rounding, deterministic}];
  if (!slot) slot = std::make_unique<CudaTarget>(rounding, deterministic);
  return *slot;
}

bool op_target_has(Rounding) { return true; }

}  // namespace emnist::test
