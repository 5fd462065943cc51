// linear_forward / linear_backward on the target against the reference, with aligned and
// element-aligned (misaligned) pointers; on CUDA in fp32 and in the TF32 and BF16 modes.
#include <cmath>

#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"

namespace emnist::test {
namespace {

struct LinearCase {
  int64_t batch, in, out;
  bool bias;
  bool want_dx;  // false: as for a first layer, dx is an empty view and must not be written
};

size_t n(int64_t v) { return static_cast<size_t>(v); }

void check_linear(OpTarget& target, const LinearCase& c, uint32_t seed, size_t misalign = 0) {
  CAPTURE(target.name(), c.batch, c.in, c.out, c.bias, c.want_dx, misalign);
  const int64_t B = c.batch, I = c.in, O = c.out;
  auto x = uniform(n(B * I), -1, 1, seed);
  auto w = uniform(n(O * I), -1, 1, seed + 1);
  auto b = uniform(n(O), -1, 1, seed + 2);
  auto dy = uniform(n(B * O), -1, 1, seed + 3);

  auto y_ref = nan_vector(n(B * O)), dx_ref = nan_vector(n(B * I)), dw_ref = nan_vector(n(O * I)),
       db_ref = nan_vector(n(O));
  run_reference([&](Backend& ref) {
    ref.linear_forward(host_tensor(x, {B, I}), host_tensor(w, {O, I}),
                       c.bias ? host_tensor(b, {O}) : Tensor{}, host_tensor(y_ref, {B, O}));
    ref.linear_backward(host_tensor(x, {B, I}), host_tensor(w, {O, I}), host_tensor(dy, {B, O}),
                        c.want_dx ? host_tensor(dx_ref, {B, I}) : Tensor{},
                        host_tensor(dw_ref, {O, I}), c.bias ? host_tensor(db_ref, {O}) : Tensor{});
  });

  Backend& mem = target.backend();
  Guarded<float> gx(mem, x, misalign), gw(mem, w, misalign), gb(mem, b, misalign),
      gdy(mem, dy, misalign);
  Guarded<float> gy(mem, n(B * O), misalign), gdx(mem, n(B * I), misalign),
      gdw(mem, n(O * I), misalign), gdb(mem, n(O), misalign);
  target.run([&](Backend& dev) {
    dev.linear_forward(gx.tensor({B, I}), gw.tensor({O, I}), c.bias ? gb.tensor({O}) : Tensor{},
                       gy.tensor({B, O}));
    dev.linear_backward(gx.tensor({B, I}), gw.tensor({O, I}), gdy.tensor({B, O}),
                        c.want_dx ? gdx.tensor({B, I}) : Tensor{}, gdw.tensor({O, I}),
                        c.bias ? gdb.tensor({O}) : Tensor{});
  });

  // Inputs in [-1, 1]: every product term is at most 1 in magnitude; the bias adds one more term.
  target.expect_close(gy.read(), y_ref, target.gemm(I + 1, 1.0), "y");
  if (c.want_dx) {
    target.expect_close(gdx.read(), dx_ref, target.gemm(O, 1.0), "dx");
  } else {
    // An empty view is not computed: the buffer keeps its poison.
    for (float v : gdx.read()) REQUIRE(std::isnan(v));
  }
  target.expect_close(gdw.read(), dw_ref, target.gemm(B, 1.0), "dw");
  // Column sums in double on both sides, rounded once to float: at most an ulp apart.
  if (c.bias) target.expect_close(gdb.read(), db_ref, Tolerance{1e-6, 1e-6}, "db");
  for (const auto* g : {&gx, &gw, &gb, &gdy, &gy, &gdx, &gdw, &gdb}) g->check_guards("linear");
}

const LinearCase kCases[] = {
    {1, 1, 1, true, true},       {3, 7, 5, true, true},        {37, 13, 47, false, true},
    {37, 784, 512, true, false}, {128, 256, 128, false, true}, {5, 1000, 3, true, true},
    {16, 128, 47, true, true},
};

}  // namespace

OP_TEST_CASE("linear: small case", "[linear][sanitize]") {
  check_linear(op_target(), {3, 7, 5, true, true}, 11);
}

OP_TEST_CASE("linear: fp32 forward and backward match the CPU", "[linear]") {
  uint32_t seed = 100;
  for (const LinearCase& c : kCases) check_linear(op_target(), c, seed += 10);
}

OP_TEST_CASE("linear: element-aligned pointers (no 16-byte alignment) give the same results",
             "[linear]") {
  // cuBLASLt is told the real alignment, and the bias epilogue gives way to the bias kernel.
  uint32_t seed = 200;
  for (const LinearCase& c : kCases) check_linear(op_target(), c, seed += 10, 1);
}

OP_MODES_TEST_CASE("linear: TF32 and BF16 with element-aligned pointers", "[linear][precision]") {
  // A weight matrix after an odd-sized tensor in the flat parameter buffer is only 4-byte aligned;
  // cuBLASLt may have no tensor-core algorithm there, and the product falls back to fp32 compute.
  uint32_t seed = 400;
  for (const LinearCase& c : kCases) {
    check_linear(op_target(Rounding::tf32), c, seed += 10, 1);
    check_linear(op_target(Rounding::bf16), c, seed += 10, 1);
  }
}

OP_MODES_TEST_CASE("linear: TF32 and BF16 modes stay within their rounding",
                   "[linear][precision]") {
  uint32_t seed = 300;
  for (const LinearCase& c : kCases) {
    check_linear(op_target(Rounding::tf32), c, seed += 10);
    check_linear(op_target(Rounding::bf16), c, seed += 10);
  }
}

}  // namespace emnist::test
