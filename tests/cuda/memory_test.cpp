// The CUDA backend's answer to an allocation larger than the GPU: one clear user error (the memory
// operations both backends share are in tests/ops/memory_cases.cpp).
#include <catch2/catch.hpp>

#include <string>

#include "compare.hpp"
#include "emnist/error.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda memory: asking for more than the GPU has is one clear user error",
          "[cuda][memory]") {
  Backend& dev = gpu();
  try {
    dev.allocate(size_t{1} << 50);  // a petabyte
    FAIL("allocation of 1 PiB succeeded");
  } catch (const UserError& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("out of memory") != std::string::npos);
    CHECK(message.find("MiB") != std::string::npos);
    CHECK(message.find("free") != std::string::npos);
  }
  // The failure left nothing sticky behind: the backend still works.
  Guarded<float> a(dev, std::vector<float>{3.0f});
  CHECK(a.read() == std::vector<float>{3.0f});
}
