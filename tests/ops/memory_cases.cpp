// The target's memory operations: copies both ways and within the backend, fill and zero, each
// writing exactly its bytes (guard regions around every buffer). Plain copies and stores: the
// results must equal the values put in exactly, on every target.
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"

namespace emnist::test {

OP_TEST_CASE("memory: round trips, copy, fill and zero touch exactly their bytes",
             "[memory][sanitize]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  Backend& mem = target.backend();
  for (size_t n : {size_t{1}, size_t{37}, size_t{4097}, size_t{100003}}) {
    CAPTURE(n);
    const auto values = uniform(n, -1, 1, 151);
    Guarded<float> a(mem, values), b(mem, n), c(mem, n);
    CHECK(a.read() == values);

    target.run([&](Backend& dev) { dev.copy(b.data(), a.data(), sizeof(float) * n); });
    CHECK(b.read() == values);

    target.run([&](Backend& dev) { dev.fill(c.tensor({static_cast<int64_t>(n)}), 2.5f); });
    CHECK(c.read() == std::vector<float>(n, 2.5f));

    target.run([&](Backend& dev) { dev.zero(c.data(), sizeof(float) * n); });
    CHECK(c.read() == std::vector<float>(n, 0.0f));

    // A copy of part of a buffer leaves the rest alone.
    if (n > 1) {
      target.run([&](Backend& dev) { dev.copy(c.data(), a.data(), sizeof(float) * (n / 2)); });
      const auto got = c.read();
      for (size_t i = 0; i < n; ++i) REQUIRE(got[i] == (i < n / 2 ? values[i] : 0.0f));
    }
    for (const auto* g : {&a, &b, &c}) g->check_guards("memory");
  }
}

OP_TEST_CASE("memory: zero-byte operations and empty fills do nothing", "[memory]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  Backend& mem = target.backend();
  Guarded<float> a(mem, std::vector<float>{1.0f, 2.0f});
  target.run([&](Backend& dev) {
    CHECK(dev.allocate(0) == nullptr);
    dev.release(nullptr);
    dev.copy_from_host(a.data(), nullptr, 0);
    dev.copy(a.data(), a.data(), 0);
    dev.zero(a.data(), 0);
    dev.fill(Tensor{}, 1.0f);
    dev.synchronize();
  });
  CHECK(a.read() == std::vector<float>{1.0f, 2.0f});
  a.check_guards("memory");
}

}  // namespace emnist::test
