// The CUDA backend's memory operations: copies both ways and within the device, fill and zero,
// each writing exactly its bytes (guard regions around every buffer), and a clear out-of-memory
// message.
#include <catch2/catch.hpp>

#include <cstring>

#include "compare.hpp"
#include "emnist/error.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda memory: round trips, copy, fill and zero touch exactly their bytes",
          "[cuda][memory][sanitize]") {
  Backend& dev = gpu();
  for (size_t n : {size_t{1}, size_t{37}, size_t{4097}}) {
    CAPTURE(n);
    const auto values = uniform(n, -1, 1, 151);
    Guarded<float> a(dev, values), b(dev, n), c(dev, n);
    CHECK(a.read() == values);

    dev.copy(b.data(), a.data(), sizeof(float) * n);
    CHECK(b.read() == values);

    dev.fill(c.tensor({static_cast<int64_t>(n)}), 2.5f);
    CHECK(c.read() == std::vector<float>(n, 2.5f));

    dev.zero(c.data(), sizeof(float) * n);
    CHECK(c.read() == std::vector<float>(n, 0.0f));

    // A copy of part of a buffer leaves the rest alone.
    if (n > 1) {
      dev.copy(c.data(), a.data(), sizeof(float) * (n / 2));
      const auto got = c.read();
      for (size_t i = 0; i < n; ++i) REQUIRE(got[i] == (i < n / 2 ? values[i] : 0.0f));
    }
    for (const auto* g : {&a, &b, &c}) g->check_guards("memory");
  }
}

TEST_CASE("cuda memory: zero-byte operations and empty fills do nothing", "[cuda][memory]") {
  Backend& dev = gpu();
  CHECK(dev.allocate(0) == nullptr);
  dev.release(nullptr);
  Guarded<float> a(dev, std::vector<float>{1.0f, 2.0f});
  dev.copy_from_host(a.data(), nullptr, 0);
  dev.copy(a.data(), a.data(), 0);
  dev.zero(a.data(), 0);
  dev.fill(Tensor{}, 1.0f);
  dev.synchronize();
  CHECK(a.read() == std::vector<float>{1.0f, 2.0f});
  a.check_guards("memory");
}

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
