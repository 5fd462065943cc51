// conv2d_forward / conv2d_backward on the target against the reference (the CPU backend, oneDNN's
// direct convolution), over odd shapes, strides, paddings and kernel sizes; on CUDA (cuDNN) in
// fp32, TF32 and BF16 modes and with deterministic algorithms.
#include <cmath>
#include <string>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

struct ConvCase {
  int64_t n, c, h, w, o, k;
  int stride, pad;
  bool bias;
  bool want_dx;  // false: a first layer, whose dx view is empty
};

size_t sz(int64_t v) { return static_cast<size_t>(v); }

void check_conv(OpTarget& target, const ConvCase& t, uint32_t seed, size_t misalign = 0) {
  CAPTURE(target.name(), t.n, t.c, t.h, t.w, t.o, t.k, t.stride, t.pad, t.bias, t.want_dx,
          misalign);
  const int64_t ho = (t.h + 2 * t.pad - t.k) / t.stride + 1;
  const int64_t wo = (t.w + 2 * t.pad - t.k) / t.stride + 1;
  const Conv2dParams p{t.stride, t.pad};
  auto x = uniform(sz(t.n * t.c * t.h * t.w), -1, 1, seed);
  auto w = uniform(sz(t.o * t.c * t.k * t.k), -1, 1, seed + 1);
  auto b = uniform(sz(t.o), -1, 1, seed + 2);
  auto dy = uniform(sz(t.n * t.o * ho * wo), -1, 1, seed + 3);

  auto y_ref = nan_vector(dy.size()), dx_ref = nan_vector(x.size()), dw_ref = nan_vector(w.size()),
       db_ref = nan_vector(b.size());
  run_reference([&](Backend& ref) {
    const auto hx = host_tensor(x, {t.n, t.c, t.h, t.w});
    const auto hw = host_tensor(w, {t.o, t.c, t.k, t.k});
    ref.conv2d_forward(hx, hw, t.bias ? host_tensor(b, {t.o}) : Tensor{},
                       host_tensor(y_ref, {t.n, t.o, ho, wo}), p);
    ref.conv2d_backward(hx, hw, host_tensor(dy, {t.n, t.o, ho, wo}),
                        t.want_dx ? host_tensor(dx_ref, {t.n, t.c, t.h, t.w}) : Tensor{},
                        host_tensor(dw_ref, {t.o, t.c, t.k, t.k}),
                        t.bias ? host_tensor(db_ref, {t.o}) : Tensor{}, p);
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x, misalign), gw(mem, w, misalign), gb(mem, b, misalign),
      gdy(mem, dy, misalign);
  Guarded<float> gy(mem, dy.size(), misalign), gdx(mem, x.size(), misalign),
      gdw(mem, w.size(), misalign), gdb(mem, b.size(), misalign);
  const auto vx = gx.tensor({t.n, t.c, t.h, t.w});
  const auto vw = gw.tensor({t.o, t.c, t.k, t.k});
  target.run([&](Backend& dev) {
    dev.conv2d_forward(vx, vw, t.bias ? gb.tensor({t.o}) : Tensor{}, gy.tensor({t.n, t.o, ho, wo}),
                       p);
    dev.conv2d_backward(vx, vw, gdy.tensor({t.n, t.o, ho, wo}),
                        t.want_dx ? gdx.tensor({t.n, t.c, t.h, t.w}) : Tensor{},
                        gdw.tensor({t.o, t.c, t.k, t.k}), t.bias ? gdb.tensor({t.o}) : Tensor{}, p);
  });

  // Named in the failure message of any comparison below.
  INFO("algorithms: " << target.conv2d_algorithms(vx, vw, gy.tensor({t.n, t.o, ho, wo}), p));
  // Reduction lengths: y sums C*K*K products (+ bias); dx at most O*K*K; dw N*Ho*Wo.
  target.expect_close(gy.read(), y_ref, target.conv(t.c * t.k * t.k + 1, 1.0), "y");
  if (t.want_dx) {
    target.expect_close(gdx.read(), dx_ref, target.conv(t.o * t.k * t.k, 1.0), "dx");
  } else {
    for (float v : gdx.read()) REQUIRE(std::isnan(v));
  }
  target.expect_close(gdw.read(), dw_ref, target.conv(t.n * ho * wo, 1.0), "dw");
  // Sums in double on both sides, rounded once.
  if (t.bias) target.expect_close(gdb.read(), db_ref, Tolerance{1e-5, 1e-6}, "db");
  for (const auto* g : {&gx, &gw, &gb, &gdy, &gy, &gdx, &gdw, &gdb}) g->check_guards("conv2d");
}

// conv2d_backward with accumulate_dx against the reference's plain backward, then a sum: dx
// starts with values of the gradient's scale and ends with their sum; dw and db are overwritten as
// ever. On the CPU the bits of the two steps.
void check_conv_accumulate(OpTarget& target, const ConvCase& t, uint32_t seed) {
  CAPTURE(target.name(), t.n, t.c, t.h, t.w, t.o, t.k, t.stride, t.pad, t.bias);
  const int64_t ho = (t.h + 2 * t.pad - t.k) / t.stride + 1;
  const int64_t wo = (t.w + 2 * t.pad - t.k) / t.stride + 1;
  Conv2dParams p{t.stride, t.pad};
  auto x = uniform(sz(t.n * t.c * t.h * t.w), -1, 1, seed);
  auto w = uniform(sz(t.o * t.c * t.k * t.k), -1, 1, seed + 1);
  auto dy = uniform(sz(t.n * t.o * ho * wo), -1, 1, seed + 3);
  const auto dx0 = uniform(x.size(), -2, 2, seed + 4);

  auto dx_ref = nan_vector(x.size()), dw_ref = nan_vector(w.size()), db_ref = nan_vector(sz(t.o));
  run_reference([&](Backend& ref) {
    const auto hx = host_tensor(x, {t.n, t.c, t.h, t.w});
    ref.conv2d_backward(
        hx, host_tensor(w, {t.o, t.c, t.k, t.k}), host_tensor(dy, {t.n, t.o, ho, wo}),
        host_tensor(dx_ref, {t.n, t.c, t.h, t.w}), host_tensor(dw_ref, {t.o, t.c, t.k, t.k}),
        t.bias ? host_tensor(db_ref, {t.o}) : Tensor{}, p);
  });
  std::vector<float> dx_sum(x.size());
  for (size_t i = 0; i < x.size(); ++i) dx_sum[i] = dx_ref[i] + dx0[i];

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x), gw(mem, w), gdy(mem, dy), gdx(mem, dx0), gdw(mem, w.size()),
      gdb(mem, sz(t.o));
  p.accumulate_dx = true;
  target.run([&](Backend& dev) {
    dev.conv2d_backward(gx.tensor({t.n, t.c, t.h, t.w}), gw.tensor({t.o, t.c, t.k, t.k}),
                        gdy.tensor({t.n, t.o, ho, wo}), gdx.tensor({t.n, t.c, t.h, t.w}),
                        gdw.tensor({t.o, t.c, t.k, t.k}), t.bias ? gdb.tensor({t.o}) : Tensor{}, p);
  });
  // dx: at most O*K*K products, plus the value it held (of the same scale).
  target.expect_close(gdx.read(), dx_sum, target.conv(t.o * t.k * t.k + 2, 1.0), "dx (added to)");
  target.expect_close(gdw.read(), dw_ref, target.conv(t.n * ho * wo, 1.0), "dw");
  if (t.bias) target.expect_close(gdb.read(), db_ref, Tolerance{1e-5, 1e-6}, "db");
  for (const auto* g : {&gx, &gw, &gdy, &gdx, &gdw, &gdb}) g->check_guards("conv2d accumulate");
}

// Batch 1, 3, 37; channels 1, 3, 5; H, W 7, 13, 28 (and non-square); K 1, 3 and 5; stride 1 and
// 2; pad 0, 1, 2 (K 1 at stride 2: a residual block's projection).
const ConvCase kCases[] = {
    {1, 1, 7, 7, 3, 3, 1, 1, true, true},     {3, 3, 13, 13, 5, 3, 2, 0, false, true},
    {37, 5, 28, 28, 7, 5, 1, 2, true, true},  {3, 5, 13, 7, 1, 5, 2, 2, true, true},
    {1, 3, 28, 28, 5, 3, 1, 0, false, true},  {37, 1, 7, 13, 3, 3, 2, 1, true, false},
    {3, 1, 28, 28, 8, 3, 1, 1, false, false}, {8, 16, 14, 14, 32, 3, 1, 1, false, true},
    {5, 3, 7, 7, 4, 5, 1, 1, true, true},     {8, 16, 14, 14, 32, 1, 2, 0, false, true},
};

}  // namespace

OP_TEST_CASE("conv2d: small case", "[conv2d][sanitize]") {
  check_conv(op_target(), {3, 3, 7, 7, 5, 3, 1, 1, true, true}, 21);
}

OP_TEST_CASE("conv2d: fp32 forward and backward match the CPU", "[conv2d]") {
  uint32_t seed = 1000;
  for (const ConvCase& c : kCases) check_conv(op_target(), c, seed += 10);
}

OP_TEST_CASE("conv2d: backward with accumulate_dx adds to dx, the same as backward then add",
             "[conv2d]") {
  uint32_t seed = 1200;
  for (const ConvCase& c : kCases)
    if (c.want_dx) check_conv_accumulate(op_target(), c, seed += 10);
}

OP_MODES_TEST_CASE("conv2d: deterministic mode matches the CPU too", "[conv2d]") {
  // Restricted to cuDNN's deterministic algorithms, which differ for backward filter and data.
  uint32_t seed = 1500;
  for (const ConvCase& c : kCases) check_conv(op_target(Rounding::fp32, true), c, seed += 10);
}

OP_TEST_CASE("conv2d: element-aligned pointers (no 16-byte alignment) give the same results",
             "[conv2d]") {
  // Views into the flat parameter and activation buffers can be 4-byte aligned only.
  uint32_t seed = 1700;
  for (const ConvCase& c : kCases) {
    check_conv(op_target(), c, seed += 10, 1);
    if (op_target_has(Rounding::tf32)) check_conv(op_target(Rounding::tf32), c, seed += 10, 1);
  }
}

OP_MODES_TEST_CASE("conv2d: TF32 and BF16 modes stay within TF32 rounding", "[conv2d][precision]") {
  uint32_t seed = 2000;
  for (const ConvCase& c : kCases) {
    check_conv(op_target(Rounding::tf32), c, seed += 10);
    check_conv(op_target(Rounding::bf16), c, seed += 10);
  }
}

}  // namespace emnist::test
