// maxpool2d_forward / backward on the target against the reference: the same maxima, the same
// argmax (first maximum in row-major order on ties), the same scattered gradients. Every backend
// only compares and copies values, so everything must match exactly. Global average pooling: every
// backend sums a plane in row-major order and divides (no fused operations), so it matches
// exactly too.
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

struct PoolCase {
  int64_t n, c, h, w;
  bool ties;  // inputs from 3 levels only: most windows have tied maxima
};

void check_pool(OpTarget& target, const PoolCase& t, uint32_t seed) {
  CAPTURE(target.name(), t.n, t.c, t.h, t.w, t.ties);
  const int64_t ho = t.h / 2, wo = t.w / 2;
  const size_t in_size = static_cast<size_t>(t.n * t.c * t.h * t.w);
  const size_t out_size = static_cast<size_t>(t.n * t.c * ho * wo);
  auto x = t.ties ? quantized(in_size, 3, 0.5f, seed) : uniform(in_size, -2, 2, seed);
  auto dy = uniform(out_size, -1, 1, seed + 1);

  auto y_ref = nan_vector(out_size), dx_ref = nan_vector(in_size);
  std::vector<int32_t> arg_ref(out_size, -1);
  run_reference([&](Backend& ref) {
    ref.maxpool2d_forward(host_tensor(x, {t.n, t.c, t.h, t.w}),
                          host_tensor(y_ref, {t.n, t.c, ho, wo}), arg_ref.data());
    ref.maxpool2d_backward(host_tensor(dy, {t.n, t.c, ho, wo}), arg_ref.data(),
                           host_tensor(dx_ref, {t.n, t.c, t.h, t.w}));
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x), gdy(mem, dy), gy(mem, out_size), gdx(mem, in_size);
  Guarded<int32_t> garg(mem, out_size);
  target.run([&](Backend& dev) {
    dev.maxpool2d_forward(gx.tensor({t.n, t.c, t.h, t.w}), gy.tensor({t.n, t.c, ho, wo}),
                          garg.data());
    dev.maxpool2d_backward(gdy.tensor({t.n, t.c, ho, wo}), garg.data(),
                           gdx.tensor({t.n, t.c, t.h, t.w}));
  });

  target.expect_close(gy.read(), y_ref, kExact, "y");
  CHECK(garg.read() == arg_ref);
  // A trailing odd row or column receives no gradient: zeros there too, not poison.
  target.expect_close(gdx.read(), dx_ref, kExact, "dx");
  for (const auto* g : {&gx, &gdy, &gy, &gdx}) g->check_guards("maxpool");
  garg.check_guards("maxpool argmax");
}

}  // namespace

OP_TEST_CASE("maxpool: small case", "[maxpool][sanitize]") {
  check_pool(op_target(), {2, 3, 7, 7, true}, 31);
}

OP_TEST_CASE("maxpool: forward, argmax and backward match the CPU exactly", "[maxpool]") {
  const PoolCase cases[] = {
      {1, 1, 7, 7, false},  {3, 5, 13, 13, false}, {37, 3, 28, 28, false},
      {2, 3, 13, 8, false}, {1, 1, 2, 2, false},   {3, 1, 28, 28, true},
      {37, 5, 7, 13, true}, {1, 3, 3, 5, true},    {128, 32, 28, 28, false},
  };
  uint32_t seed = 3000;
  for (const PoolCase& c : cases) check_pool(op_target(), c, seed += 10);
}

OP_TEST_CASE("global average pooling: forward and backward match the CPU exactly", "[avgpool]") {
  OpTarget& target = op_target();
  const PoolCase cases[] = {{1, 1, 1, 1, false},
                            {2, 3, 7, 7, false},
                            {37, 5, 3, 5, false},
                            {128, 64, 7, 7, false},
                            {4, 2, 28, 28, false}};
  uint32_t seed = 3500;
  for (const PoolCase& t : cases) {
    CAPTURE(target.name(), t.n, t.c, t.h, t.w);
    const size_t in_size = static_cast<size_t>(t.n * t.c * t.h * t.w);
    const size_t out_size = static_cast<size_t>(t.n * t.c);
    auto x = uniform(in_size, -2, 2, seed += 10);
    auto dy = uniform(out_size, -1, 1, seed + 1);
    auto y_ref = nan_vector(out_size), dx_ref = nan_vector(in_size);
    run_reference([&](Backend& ref) {
      ref.global_avgpool_forward(host_tensor(x, {t.n, t.c, t.h, t.w}),
                                 host_tensor(y_ref, {t.n, t.c}));
      ref.global_avgpool_backward(host_tensor(dy, {t.n, t.c}),
                                  host_tensor(dx_ref, {t.n, t.c, t.h, t.w}));
    });
    Backend& mem = target.backend();
    Guarded<float> gx(mem, x), gdy(mem, dy), gy(mem, out_size), gdx(mem, in_size);
    target.run([&](Backend& dev) {
      dev.global_avgpool_forward(gx.tensor({t.n, t.c, t.h, t.w}), gy.tensor({t.n, t.c}));
      dev.global_avgpool_backward(gdy.tensor({t.n, t.c}), gdx.tensor({t.n, t.c, t.h, t.w}));
    });
    target.expect_close(gy.read(), y_ref, kExact, "y");
    target.expect_close(gdx.read(), dx_ref, kExact, "dx");
    for (const auto* g : {&gx, &gdy, &gy, &gdx}) g->check_guards("global avgpool");
  }
}

}  // namespace emnist::test
