// add (y = a + b) on the target against the reference: one rounded sum per element on every
// backend, so it matches exactly, also when y is one of the inputs.
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {

OP_TEST_CASE("add: a + b matches the CPU exactly, also in place", "[add][sanitize]") {
  OpTarget& target = op_target();
  uint32_t seed = 3700;
  for (const int64_t n : {int64_t{1}, int64_t{37}, int64_t{100003}}) {
    CAPTURE(target.name(), n);
    const size_t sz = static_cast<size_t>(n);
    auto a = uniform(sz, -2, 2, seed += 10), b = uniform(sz, -2, 2, seed + 1);
    auto y_ref = nan_vector(sz);
    run_reference([&](Backend& ref) {
      ref.add(host_tensor(a, {n}), host_tensor(b, {n}), host_tensor(y_ref, {n}));
    });
    Backend& mem = target.backend();
    Guarded<float> ga(mem, a), gb(mem, b), gy(mem, sz);
    target.run([&](Backend& dev) {
      dev.add(ga.tensor({n}), gb.tensor({n}), gy.tensor({n}));
      dev.add(gb.tensor({n}), ga.tensor({n}), gb.tensor({n}));  // in place: b = b + a
    });
    target.expect_close(gy.read(), y_ref, kExact, "y");
    target.expect_close(gb.read(), y_ref, kExact, "b + a in place");
    for (const auto* g : {&ga, &gb, &gy}) g->check_guards("add");
  }
}

}  // namespace emnist::test
