// conv2d_forward / conv2d_backward on the CUDA backend (cuDNN) against the CPU backend (im2col and
// OpenBLAS), over odd shapes, strides, paddings and kernel sizes, in fp32, TF32 and BF16 modes.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "compare.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

struct ConvCase {
  int64_t n, c, h, w, o, k;
  int stride, pad;
  bool bias;
  bool want_dx;  // false: a first layer, whose dx view is empty
};

size_t sz(int64_t v) { return static_cast<size_t>(v); }

void check_conv(const ConvCase& t, cuda::Precision precision, uint32_t seed,
                bool deterministic = false, size_t misalign = 0) {
  CAPTURE(t.n, t.c, t.h, t.w, t.o, t.k, t.stride, t.pad, t.bias, t.want_dx,
          cuda::precision_name(precision), deterministic, misalign);
  const int64_t ho = (t.h + 2 * t.pad - t.k) / t.stride + 1;
  const int64_t wo = (t.w + 2 * t.pad - t.k) / t.stride + 1;
  const Conv2dParams p{t.stride, t.pad};
  auto x = uniform(sz(t.n * t.c * t.h * t.w), -1, 1, seed);
  auto w = uniform(sz(t.o * t.c * t.k * t.k), -1, 1, seed + 1);
  auto b = uniform(sz(t.o), -1, 1, seed + 2);
  auto dy = uniform(sz(t.n * t.o * ho * wo), -1, 1, seed + 3);

  auto y_ref = nan_vector(dy.size()), dx_ref = nan_vector(x.size()), dw_ref = nan_vector(w.size()),
       db_ref = nan_vector(b.size());
  Backend& ref = cpu();
  const auto hx = host_tensor(x, {t.n, t.c, t.h, t.w});
  const auto hw = host_tensor(w, {t.o, t.c, t.k, t.k});
  ref.conv2d_forward(hx, hw, t.bias ? host_tensor(b, {t.o}) : Tensor{},
                     host_tensor(y_ref, {t.n, t.o, ho, wo}), p);
  ref.conv2d_backward(hx, hw, host_tensor(dy, {t.n, t.o, ho, wo}),
                      t.want_dx ? host_tensor(dx_ref, {t.n, t.c, t.h, t.w}) : Tensor{},
                      host_tensor(dw_ref, {t.o, t.c, t.k, t.k}),
                      t.bias ? host_tensor(db_ref, {t.o}) : Tensor{}, p);

  Backend& dev = gpu(precision, deterministic);
  Guarded<float> gx(dev, x, misalign), gw(dev, w, misalign), gb(dev, b, misalign),
      gdy(dev, dy, misalign);
  Guarded<float> gy(dev, dy.size(), misalign), gdx(dev, x.size(), misalign),
      gdw(dev, w.size(), misalign), gdb(dev, b.size(), misalign);
  const auto vx = gx.tensor({t.n, t.c, t.h, t.w});
  const auto vw = gw.tensor({t.o, t.c, t.k, t.k});
  dev.conv2d_forward(vx, vw, t.bias ? gb.tensor({t.o}) : Tensor{}, gy.tensor({t.n, t.o, ho, wo}),
                     p);
  dev.conv2d_backward(vx, vw, gdy.tensor({t.n, t.o, ho, wo}),
                      t.want_dx ? gdx.tensor({t.n, t.c, t.h, t.w}) : Tensor{},
                      gdw.tensor({t.o, t.c, t.k, t.k}), t.bias ? gdb.tensor({t.o}) : Tensor{}, p);

  // Named in the failure message of any comparison below.
  const std::string algorithms = static_cast<cuda::CudaBackend&>(dev).conv2d_algorithms(
      vx, vw, gy.tensor({t.n, t.o, ho, wo}), p);
  INFO("cuDNN: " << algorithms);
  // cuDNN convolutions use TF32 in both reduced-precision modes (see cudnn_conv.hpp).
  const cuda::Precision conv_precision =
      precision == cuda::Precision::fp32 ? cuda::Precision::fp32 : cuda::Precision::tf32;
  // Reduction lengths: y sums C*K*K products (+ bias); dx at most O*K*K; dw N*Ho*Wo.
  expect_close(gy.read(), y_ref, gemm_tolerance(conv_precision, t.c * t.k * t.k + 1, 1.0), "y");
  if (t.want_dx) {
    expect_close(gdx.read(), dx_ref, gemm_tolerance(conv_precision, t.o * t.k * t.k, 1.0), "dx");
  } else {
    for (float v : gdx.read()) REQUIRE(std::isnan(v));
  }
  expect_close(gdw.read(), dw_ref, gemm_tolerance(conv_precision, t.n * ho * wo, 1.0), "dw");
  // Sums in double on both sides, rounded once.
  if (t.bias) expect_close(gdb.read(), db_ref, Tolerance{1e-5, 1e-6}, "db");
  for (const auto* g : {&gx, &gw, &gb, &gdy, &gy, &gdx, &gdw, &gdb}) g->check_guards("conv2d");
}

// Batch 1, 3, 37; channels 1, 3, 5; H, W 7, 13, 28 (and non-square); K 3 and 5; stride 1 and 2;
// pad 0, 1, 2.
const ConvCase kCases[] = {
    {1, 1, 7, 7, 3, 3, 1, 1, true, true},     {3, 3, 13, 13, 5, 3, 2, 0, false, true},
    {37, 5, 28, 28, 7, 5, 1, 2, true, true},  {3, 5, 13, 7, 1, 5, 2, 2, true, true},
    {1, 3, 28, 28, 5, 3, 1, 0, false, true},  {37, 1, 7, 13, 3, 3, 2, 1, true, false},
    {3, 1, 28, 28, 8, 3, 1, 1, false, false}, {8, 16, 14, 14, 32, 3, 1, 1, false, true},
    {5, 3, 7, 7, 4, 5, 1, 1, true, true},
};

}  // namespace

TEST_CASE("cuda conv2d: small case", "[cuda][conv2d][sanitize]") {
  check_conv({3, 3, 7, 7, 5, 3, 1, 1, true, true}, cuda::Precision::fp32, 21);
}

TEST_CASE("cuda conv2d: fp32 forward and backward match the CPU", "[cuda][conv2d]") {
  uint32_t seed = 1000;
  for (const ConvCase& c : kCases) check_conv(c, cuda::Precision::fp32, seed += 10);
}

TEST_CASE("cuda conv2d: deterministic mode matches the CPU too", "[cuda][conv2d]") {
  // Restricted to cuDNN's deterministic algorithms, which differ for backward filter and data.
  uint32_t seed = 1500;
  for (const ConvCase& c : kCases) check_conv(c, cuda::Precision::fp32, seed += 10, true);
}

TEST_CASE("cuda conv2d: element-aligned pointers (no 16-byte alignment) give the same results",
          "[cuda][conv2d]") {
  // Views into the flat parameter and activation buffers can be 4-byte aligned only.
  uint32_t seed = 1700;
  for (const ConvCase& c : kCases) {
    check_conv(c, cuda::Precision::fp32, seed += 10, false, 1);
    check_conv(c, cuda::Precision::tf32, seed += 10, false, 1);
  }
}

TEST_CASE("cuda conv2d: TF32 and BF16 modes stay within TF32 rounding",
          "[cuda][conv2d][precision]") {
  uint32_t seed = 2000;
  for (const ConvCase& c : kCases) {
    check_conv(c, cuda::Precision::tf32, seed += 10);
    check_conv(c, cuda::Precision::bf16, seed += 10);
  }
}
