#include "compare.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <type_traits>

namespace emnist::cuda_test {

// Never destroyed: tearing down cuDNN and cuBLASLt handles during static destruction would race
// the CUDA runtime's own exit handlers, and the process is ending anyway.
Backend& cpu() {
  static Backend* backend = make_cpu_backend().release();
  return *backend;
}

Backend& gpu(cuda::Precision precision, bool deterministic) {
  static auto* backends = new std::map<std::pair<int, bool>, std::unique_ptr<cuda::CudaBackend>>;
  auto& slot = (*backends)[{static_cast<int>(precision), deterministic}];
  if (!slot) {
    cuda::CudaOptions options;
    options.precision = precision;
    options.deterministic = deterministic;
    slot = std::make_unique<cuda::CudaBackend>(options);
  }
  return *slot;
}

std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

std::vector<float> quantized(size_t n, int levels, float step, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, levels - 1);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(gen)) * step;
  return v;
}

std::vector<int32_t> labels(size_t n, int classes, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int32_t> dist(0, classes - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(gen);
  return v;
}

std::vector<float> nan_vector(size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

// ---- Guarded ------------------------------------------------------------------------------------

template <typename T>
Guarded<T>::Guarded(Backend& gpu, size_t count, size_t misalign)
    : gpu_(gpu), count_(count), front_bytes_(kGuardBytes + misalign * sizeof(T)) {
  const size_t total = front_bytes_ + count_ * sizeof(T) + kGuardBytes;
  block_ = static_cast<unsigned char*>(gpu_.allocate(total));
  data_ = reinterpret_cast<T*>(block_ + front_bytes_);
  const std::vector<unsigned char> guard(front_bytes_, kSentinel);
  gpu_.copy_from_host(block_, guard.data(), front_bytes_);
  gpu_.copy_from_host(block_ + front_bytes_ + count_ * sizeof(T), guard.data(), kGuardBytes);
  std::vector<T> poison(count_);
  if constexpr (std::is_floating_point_v<T>) {
    std::fill(poison.begin(), poison.end(), std::numeric_limits<T>::quiet_NaN());
  } else {
    std::fill(poison.begin(), poison.end(), static_cast<T>(-1));  // all bits set
  }
  upload(poison);
}

template <typename T>
Guarded<T>::Guarded(Backend& gpu, const std::vector<T>& values, size_t misalign)
    : Guarded(gpu, values.size(), misalign) {
  upload(values);
}

template <typename T>
Guarded<T>::~Guarded() {
  gpu_.release(block_);
}

template <typename T>
Tensor Guarded<T>::tensor(std::initializer_list<int64_t> dims) const {
  if constexpr (std::is_same_v<T, float>) {
    Tensor t(data_, dims, Device::cuda);
    REQUIRE(static_cast<size_t>(t.numel()) == count_);
    return t;
  } else {
    FAIL("tensor views are float only");
    return Tensor{};
  }
}

template <typename T>
void Guarded<T>::upload(const std::vector<T>& values) {
  REQUIRE(values.size() == count_);
  gpu_.copy_from_host(data_, values.data(), sizeof(T) * count_);
}

template <typename T>
std::vector<T> Guarded<T>::read() const {
  std::vector<T> out(count_);
  gpu_.copy_to_host(out.data(), data_, sizeof(T) * count_);
  return out;
}

template <typename T>
void Guarded<T>::check_guards(const std::string& what) const {
  std::vector<unsigned char> front(front_bytes_), back(kGuardBytes);
  gpu_.copy_to_host(front.data(), block_, front_bytes_);
  gpu_.copy_to_host(back.data(), block_ + front_bytes_ + count_ * sizeof(T), kGuardBytes);
  size_t bad_front = 0, bad_back = 0;
  for (unsigned char b : front) bad_front += b != kSentinel;
  for (unsigned char b : back) bad_back += b != kSentinel;
  INFO(what << ": bytes overwritten before the buffer: " << bad_front << ", after: " << bad_back);
  REQUIRE(bad_front == 0);
  REQUIRE(bad_back == 0);
}

template class Guarded<float>;
template class Guarded<int32_t>;
template class Guarded<int64_t>;
template class Guarded<double>;

// ---- comparisons --------------------------------------------------------------------------------

Tolerance gemm_tolerance(cuda::Precision precision, int64_t k, double bound) {
  const double kd = static_cast<double>(k);
  switch (precision) {
    case cuda::Precision::fp32: {
      // A k-term fp32 sum of products each at most `bound`, in any order, with or without FMA, is
      // off by at most gamma_k * k * bound, gamma_k = k u / (1 - k u), u = 2^-24; both sides
      // round, hence twice that. A rigorous bound for direct summation: cuBLASLt in
      // CUBLAS_COMPUTE_32F, and cuDNN in fp32, which keeps out FFT and Winograd (cudnn_conv.hpp).
      const double u = 0x1p-24;
      return Tolerance{2.0 * kd * u / (1.0 - kd * u) * bound, 0.0};
    }
    case cuda::Precision::tf32:
      // Per product up to ~2^-10 relative; random signs give ~sqrt(k) growth, a bias (truncation)
      // scales with the result itself: the rtol.
      return Tolerance{2e-3 * std::sqrt(kd) * bound, 1e-2};
    case cuda::Precision::bf16:
      return Tolerance{1e-2 * std::sqrt(kd) * bound, 5e-2};
  }
  return Tolerance{0, 0};
}

namespace {

template <typename F>
void compare(const std::vector<F>& gpu, const std::vector<F>& cpu, Tolerance tol,
             const std::string& what) {
  REQUIRE(gpu.size() == cpu.size());
  size_t bad = 0, non_finite = 0, cpu_non_finite = 0;
  double worst = 0.0;
  std::ostringstream first;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double g = static_cast<double>(gpu[i]), c = static_cast<double>(cpu[i]);
    if (!std::isfinite(c)) ++cpu_non_finite;
    const double diff = std::fabs(g - c);
    const bool ok = std::isfinite(g) && diff <= tol.atol + tol.rtol * std::fabs(c);
    if (!std::isfinite(g)) ++non_finite;
    if (std::isfinite(diff) && diff > worst) worst = diff;
    if (!ok) {
      if (bad < 5) first << "  [" << i << "] gpu " << g << " cpu " << c << " diff " << diff << "\n";
      ++bad;
    }
  }
  INFO(what << ": " << gpu.size() << " elements, tolerance atol " << tol.atol << " rtol "
            << tol.rtol << "; " << bad << " outside (" << non_finite
            << " not finite), largest |diff| " << worst << "\n"
            << first.str());
  REQUIRE(cpu_non_finite == 0);  // the reference itself must be sound
  CHECK(bad == 0);
}

}  // namespace

void expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu, Tolerance tol,
                  const std::string& what) {
  compare(gpu, cpu, tol, what);
}

void expect_close(const std::vector<double>& gpu, const std::vector<double>& cpu, Tolerance tol,
                  const std::string& what) {
  compare(gpu, cpu, tol, what);
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b,
                      const std::string& what) {
  REQUIRE(a.size() == b.size());
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t x = 0, y = 0;
    std::memcpy(&x, &a[i], sizeof x);
    std::memcpy(&y, &b[i], sizeof y);
    differ += x != y;
  }
  INFO(what << ": " << differ << " of " << a.size() << " elements differ in their bits");
  CHECK(differ == 0);
}

double relative_l2(const std::vector<float>& gpu, const std::vector<float>& cpu) {
  REQUIRE(gpu.size() == cpu.size());
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    const double d = static_cast<double>(gpu[i]) - static_cast<double>(cpu[i]);
    num += d * d;
    den += static_cast<double>(cpu[i]) * static_cast<double>(cpu[i]);
  }
  if (!std::isfinite(num)) return std::numeric_limits<double>::infinity();
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

}  // namespace emnist::cuda_test
