#pragma once
// The harness of the CUDA op tests: every op runs on the CPU backend (the reference) and on the
// CUDA backend with the same fresh random inputs, and the outputs are compared element by element.
//
// Device buffers are allocated with guard regions before and after (a sentinel byte pattern that
// must be unchanged afterwards: a stray write past either end fails the test), and outputs are
// poisoned before the call (NaN for floats, all-ones bytes for integers), so an element an op
// forgets to write fails the finiteness or equality check.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "emnist/backend.hpp"

namespace emnist::cuda_test {

// The backends, created once per process (cuDNN and cuBLASLt handles take a while to create).
Backend& cpu();
Backend& gpu(cuda::Precision precision = cuda::Precision::fp32, bool deterministic = false);

// n values uniform in [lo, hi), reproducible from seed (std::mt19937).
std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed);
// n values drawn from {0, 1, ..., levels - 1} * step: many exact ties, for tie-breaking rules.
std::vector<float> quantized(size_t n, int levels, float step, uint32_t seed);
std::vector<int32_t> labels(size_t n, int classes, uint32_t seed);
std::vector<float> nan_vector(size_t n);

inline Tensor host_tensor(std::vector<float>& v, std::initializer_list<int64_t> dims) {
  return Tensor(v.data(), dims, Device::cpu);
}

// Device memory for `count` elements of T between two guard regions. `misalign` shifts the data
// by that many elements from the (256-byte aligned) end of the front guard, to exercise code paths
// for pointers that are only element-aligned.
template <typename T>
class Guarded {
 public:
  // Poisoned: NaN for float, all bits set for integers.
  Guarded(Backend& gpu, size_t count, size_t misalign = 0);
  // Holding these values.
  Guarded(Backend& gpu, const std::vector<T>& values, size_t misalign = 0);
  ~Guarded();
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  T* data() const { return data_; }
  size_t size() const { return count_; }
  Tensor tensor(std::initializer_list<int64_t> dims) const;  // T = float only
  void upload(const std::vector<T>& values);
  std::vector<T> read() const;
  // REQUIREs that both guard regions still hold the sentinel.
  void check_guards(const std::string& what) const;

 private:
  static constexpr size_t kGuardBytes = 1024;
  static constexpr unsigned char kSentinel = 0xA5;

  Backend& gpu_;
  size_t count_;
  size_t front_bytes_;  // guard plus misalignment
  unsigned char* block_ = nullptr;
  T* data_ = nullptr;
};

extern template class Guarded<float>;
extern template class Guarded<int32_t>;
extern template class Guarded<int64_t>;
extern template class Guarded<double>;

// |gpu - cpu| <= atol + rtol * |cpu| for every element, and every gpu element finite. The reason
// for each op's numbers is stated where it is used.
struct Tolerance {
  double atol;
  double rtol;
};
constexpr Tolerance kExact{0.0, 0.0};
// One unit in the last place of a float (2^-23 relative), for the elementwise ops whose formula is
// shared but whose compiled code may round one operation differently.
constexpr Tolerance kOneUlp{1e-37, 1.2e-7};

// fp32 products of k terms each at most `bound` in magnitude, summed in a different order than
// OpenBLAS does: the rounding error is at most about k * 2^-24 * bound, and in practice far less.
// TF32 rounds both inputs to 10 mantissa bits (up to 2^-10 relative each if truncated), BF16 to 7.
Tolerance gemm_tolerance(cuda::Precision precision, int64_t k, double bound);

void expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu, Tolerance tol,
                  const std::string& what);
void expect_close(const std::vector<double>& gpu, const std::vector<double>& cpu, Tolerance tol,
                  const std::string& what);
// Bit-for-bit equality (floats compared as bits, so NaN == NaN and -0 != +0).
void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b,
                      const std::string& what);

// ||gpu - cpu|| / ||cpu|| (Euclidean), for comparing whole tensors that went through many ops.
double relative_l2(const std::vector<float>& gpu, const std::vector<float>& cpu);

}  // namespace emnist::cuda_test
