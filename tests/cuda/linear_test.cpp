// linear_forward / linear_backward on the CUDA backend against the CPU backend, in fp32 and in the
// TF32 and BF16 modes, with aligned and element-aligned (misaligned) pointers.
#include <catch2/catch.hpp>

#include <cmath>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

struct LinearCase {
  int64_t batch, in, out;
  bool bias;
  bool want_dx;  // false: as for a first layer, dx is an empty view and must not be written
};

size_t n(int64_t v) { return static_cast<size_t>(v); }

void check_linear(const LinearCase& c, cuda::Precision precision, uint32_t seed,
                  size_t misalign = 0) {
  CAPTURE(c.batch, c.in, c.out, c.bias, c.want_dx, cuda::precision_name(precision), misalign);
  const int64_t B = c.batch, I = c.in, O = c.out;
  auto x = uniform(n(B * I), -1, 1, seed);
  auto w = uniform(n(O * I), -1, 1, seed + 1);
  auto b = uniform(n(O), -1, 1, seed + 2);
  auto dy = uniform(n(B * O), -1, 1, seed + 3);

  auto y_ref = nan_vector(n(B * O)), dx_ref = nan_vector(n(B * I)), dw_ref = nan_vector(n(O * I)),
       db_ref = nan_vector(n(O));
  Backend& ref = cpu();
  ref.linear_forward(host_tensor(x, {B, I}), host_tensor(w, {O, I}),
                     c.bias ? host_tensor(b, {O}) : Tensor{}, host_tensor(y_ref, {B, O}));
  ref.linear_backward(host_tensor(x, {B, I}), host_tensor(w, {O, I}), host_tensor(dy, {B, O}),
                      c.want_dx ? host_tensor(dx_ref, {B, I}) : Tensor{},
                      host_tensor(dw_ref, {O, I}), c.bias ? host_tensor(db_ref, {O}) : Tensor{});

  Backend& dev = gpu(precision);
  Guarded<float> gx(dev, x, misalign), gw(dev, w, misalign), gb(dev, b, misalign),
      gdy(dev, dy, misalign);
  Guarded<float> gy(dev, n(B * O), misalign), gdx(dev, n(B * I), misalign),
      gdw(dev, n(O * I), misalign), gdb(dev, n(O), misalign);
  dev.linear_forward(gx.tensor({B, I}), gw.tensor({O, I}), c.bias ? gb.tensor({O}) : Tensor{},
                     gy.tensor({B, O}));
  dev.linear_backward(gx.tensor({B, I}), gw.tensor({O, I}), gdy.tensor({B, O}),
                      c.want_dx ? gdx.tensor({B, I}) : Tensor{}, gdw.tensor({O, I}),
                      c.bias ? gdb.tensor({O}) : Tensor{});

  // Inputs in [-1, 1]: every product term is at most 1 in magnitude; the bias adds one more term.
  expect_close(gy.read(), y_ref, gemm_tolerance(precision, I + 1, 1.0), "y");
  if (c.want_dx) {
    expect_close(gdx.read(), dx_ref, gemm_tolerance(precision, O, 1.0), "dx");
  } else {
    // An empty view is not computed: the buffer keeps its poison.
    for (float v : gdx.read()) REQUIRE(std::isnan(v));
  }
  expect_close(gdw.read(), dw_ref, gemm_tolerance(precision, B, 1.0), "dw");
  // Column sums in double on both sides, rounded once to float: at most an ulp apart.
  if (c.bias) expect_close(gdb.read(), db_ref, Tolerance{1e-6, 1e-6}, "db");
  for (const auto* g : {&gx, &gw, &gb, &gdy, &gy, &gdx, &gdw, &gdb}) g->check_guards("linear");
}

const LinearCase kCases[] = {
    {1, 1, 1, true, true},       {3, 7, 5, true, true},        {37, 13, 47, false, true},
    {37, 784, 512, true, false}, {128, 256, 128, false, true}, {5, 1000, 3, true, true},
    {16, 128, 47, true, true},
};

}  // namespace

TEST_CASE("cuda linear: small case", "[cuda][linear][sanitize]") {
  check_linear({3, 7, 5, true, true}, cuda::Precision::fp32, 11);
}

TEST_CASE("cuda linear: fp32 forward and backward match the CPU", "[cuda][linear]") {
  uint32_t seed = 100;
  for (const LinearCase& c : kCases) check_linear(c, cuda::Precision::fp32, seed += 10);
}

TEST_CASE("cuda linear: element-aligned pointers (no 16-byte alignment) give the same results",
          "[cuda][linear]") {
  // cuBLASLt is told the real alignment, and the bias epilogue gives way to the bias kernel.
  uint32_t seed = 200;
  for (const LinearCase& c : kCases) check_linear(c, cuda::Precision::fp32, seed += 10, 1);
}

TEST_CASE("cuda linear: TF32 and BF16 with element-aligned pointers", "[cuda][linear][precision]") {
  // A weight matrix after an odd-sized tensor in the flat parameter buffer is only 4-byte aligned;
  // cuBLASLt may have no tensor-core algorithm there, and the product falls back to fp32 compute.
  uint32_t seed = 400;
  for (const LinearCase& c : kCases) {
    check_linear(c, cuda::Precision::tf32, seed += 10, 1);
    check_linear(c, cuda::Precision::bf16, seed += 10, 1);
  }
}

TEST_CASE("cuda linear: TF32 and BF16 modes stay within their rounding",
          "[cuda][linear][precision]") {
  uint32_t seed = 300;
  for (const LinearCase& c : kCases) {
    check_linear(c, cuda::Precision::tf32, seed += 10);
    check_linear(c, cuda::Precision::bf16, seed += 10);
  }
}
