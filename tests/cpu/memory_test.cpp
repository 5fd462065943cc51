// Memory operations of the CPU backend: aligned allocation, copies, fill and zero.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu memory allocate copy fill zero", "[cpu][memory]") {
  auto be = make_cpu_backend();
  CHECK(be->device() == Device::cpu);
  CHECK(be->name() == "cpu");
  const int64_t n = 100001;
  auto* a = static_cast<float*>(be->allocate(sizeof(float) * n));
  auto* b = static_cast<float*>(be->allocate(sizeof(float) * n));
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % 64 == 0);

  auto source = uniform(static_cast<size_t>(n), -1, 1, 141);
  be->copy_from_host(a, source.data(), sizeof(float) * n);
  be->copy(b, a, sizeof(float) * n);
  std::vector<float> back(static_cast<size_t>(n));
  be->copy_to_host(back.data(), b, sizeof(float) * n);
  be->synchronize();
  CHECK(bit_identical(back, source));

  be->fill(Tensor(a, {n}), 2.5f);
  be->copy_to_host(back.data(), a, sizeof(float) * n);
  CHECK(back == std::vector<float>(static_cast<size_t>(n), 2.5f));

  be->zero(b, sizeof(float) * n);
  be->copy_to_host(back.data(), b, sizeof(float) * n);
  CHECK(back == std::vector<float>(static_cast<size_t>(n), 0.0f));

  be->release(a);
  be->release(b);
  be->release(nullptr);
}

}  // namespace emnist::test
