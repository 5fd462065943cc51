// 2-d convolution on the CPU backend: a hand-computed 4x4 case, many shapes against a direct
// seven-loop convolution in double, and every gradient against finite differences.
#include <catch2/catch.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"
#include "ops/thread_limit.hpp"
#include "ops/tolerance.hpp"

namespace emnist::test {
namespace {

struct ConvCase {
  int64_t n, c, h, w, o, k;
  int stride, pad;
  int64_t ho() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t wo() const { return (w + 2 * pad - k) / stride + 1; }
  size_t x_size() const { return static_cast<size_t>(n * c * h * w); }
  size_t w_size() const { return static_cast<size_t>(o * c * k * k); }
  size_t y_size() const { return static_cast<size_t>(n * o * ho() * wo()); }
};

// K = 3 and 5, stride 1 and 2, pad 0, 1 and 2, odd channel counts and sizes, non-square inputs, a
// 1x1 kernel (no im2col; at stride 2 too, a residual block's projection), one sample (products
// split across threads) and more samples than one weight-gradient group (groups of 8 combined).
const std::vector<ConvCase> kCases = {
    {2, 3, 7, 6, 5, 3, 1, 0}, {2, 3, 7, 6, 5, 3, 1, 1}, {2, 3, 7, 6, 5, 3, 2, 0},
    {2, 3, 7, 6, 5, 3, 2, 1}, {2, 1, 9, 8, 3, 5, 1, 0}, {2, 3, 9, 7, 5, 5, 2, 1},
    {1, 3, 8, 9, 3, 5, 1, 2}, {2, 3, 5, 5, 4, 1, 1, 0}, {9, 2, 5, 5, 3, 3, 1, 1},
    {2, 3, 7, 6, 5, 1, 2, 0},
};

std::vector<double> naive_conv(const ConvCase& s, const std::vector<float>& x,
                               const std::vector<float>& w, const std::vector<float>& b) {
  std::vector<double> y(s.y_size());
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t o = 0; o < s.o; ++o) {
      for (int64_t oh = 0; oh < s.ho(); ++oh) {
        for (int64_t ow = 0; ow < s.wo(); ++ow) {
          double acc = b.empty() ? 0.0 : b[static_cast<size_t>(o)];
          for (int64_t c = 0; c < s.c; ++c) {
            for (int64_t kh = 0; kh < s.k; ++kh) {
              for (int64_t kw = 0; kw < s.k; ++kw) {
                const int64_t ih = oh * s.stride - s.pad + kh, iw = ow * s.stride - s.pad + kw;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                acc += static_cast<double>(
                           x[static_cast<size_t>(((n * s.c + c) * s.h + ih) * s.w + iw)]) *
                       w[static_cast<size_t>(((o * s.c + c) * s.k + kh) * s.k + kw)];
              }
            }
          }
          y[static_cast<size_t>(((n * s.o + o) * s.ho() + oh) * s.wo() + ow)] = acc;
        }
      }
    }
  }
  return y;
}

}  // namespace

TEST_CASE("cpu conv2d forward on a 4x4 image by hand", "[cpu][conv2d]") {
  auto be = make_cpu_backend();
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i)
    x[static_cast<size_t>(i)] = static_cast<float>(i);  // x[r][c] = 4r + c
  std::vector<float> k = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> b = {0.5f};

  // Valid 3x3: window (0,0) is sum k_ij (4i + j) = 252 + 51 = 303; each column step adds sum k =
  // 45, each row step 4 * 45.
  std::vector<float> y = nan_vector(4);
  be->conv2d_forward(view(x, {1, 1, 4, 4}), view(k, {1, 1, 3, 3}), view(b, {1}),
                     view(y, {1, 1, 2, 2}), Conv2dParams{1, 0});
  CHECK(y == std::vector<float>{303.5f, 348.5f, 483.5f, 528.5f});

  // Pad 1, stride 2: windows centred on (0,0), (0,2), (2,0), (2,2), zero outside the image.
  // (0,0): 5*0 + 6*1 + 8*4 + 9*5 = 83; (0,2): 4*1 + 5*2 + 6*3 + 7*5 + 8*6 + 9*7 = 178;
  // (2,0): 2*4 + 3*5 + 5*8 + 6*9 + 8*12 + 9*13 = 330; (2,2): full window = 303 + 5 * 45 = 528.
  std::vector<float> y2 = nan_vector(4);
  be->conv2d_forward(view(x, {1, 1, 4, 4}), view(k, {1, 1, 3, 3}), Tensor(), view(y2, {1, 1, 2, 2}),
                     Conv2dParams{2, 1});
  CHECK(y2 == std::vector<float>{83, 178, 330, 528});
}

TEST_CASE("cpu conv2d forward matches a direct convolution", "[cpu][conv2d]") {
  auto be = make_cpu_backend();
  for (const ConvCase& s : kCases) {
    CAPTURE(s.n, s.c, s.h, s.w, s.o, s.k, s.stride, s.pad);
    auto x = uniform(s.x_size(), -1, 1, 1);
    auto w = uniform(s.w_size(), -1, 1, 2);
    auto b = uniform(static_cast<size_t>(s.o), -1, 1, 3);
    auto y = nan_vector(s.y_size());
    be->conv2d_forward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}), view(b, {s.o}),
                       view(y, {s.n, s.o, s.ho(), s.wo()}), Conv2dParams{s.stride, s.pad});
    REQUIRE(count_non_finite(y) == 0);
    const auto expected = naive_conv(s, x, w, b);
    double worst = 0.0;
    for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - expected[i]));
    CHECK(worst < 1e-5);  // at most 75 float products of O(1) terms
  }
}

TEST_CASE("cpu conv2d gradients match finite differences", "[cpu][conv2d][gradcheck]") {
  auto be = make_cpu_backend();
  for (const ConvCase& s : kCases) {
    CAPTURE(s.n, s.c, s.h, s.w, s.o, s.k, s.stride, s.pad);
    auto x = uniform(s.x_size(), -1, 1, 21);
    auto w = uniform(s.w_size(), -1, 1, 22);
    auto b = uniform(static_cast<size_t>(s.o), -1, 1, 23);
    auto r = uniform(s.y_size(), -1, 1, 24);
    std::vector<float> y(s.y_size());
    const Conv2dParams p{s.stride, s.pad};
    const auto objective = [&] {
      be->conv2d_forward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}),
                         view(b, {s.o}), view(y, {s.n, s.o, s.ho(), s.wo()}), p);
      return dot(y, r);
    };
    auto dx = nan_vector(x.size()), dw = nan_vector(w.size()), db = nan_vector(b.size());
    be->conv2d_backward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}),
                        view(r, {s.n, s.o, s.ho(), s.wo()}), view(dx, {s.n, s.c, s.h, s.w}),
                        view(dw, {s.o, s.c, s.k, s.k}), view(db, {s.o}), p);
    expect_gradients(objective, {{"x", &x, dx}, {"w", &w, dw}, {"b", &b, db}});

    // Each gradient alone (the others empty) gives the same values.
    auto dx_only = nan_vector(x.size()), dw_only = nan_vector(w.size());
    be->conv2d_backward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}),
                        view(r, {s.n, s.o, s.ho(), s.wo()}), view(dx_only, {s.n, s.c, s.h, s.w}),
                        Tensor(), Tensor(), p);
    be->conv2d_backward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}),
                        view(r, {s.n, s.o, s.ho(), s.wo()}), Tensor(),
                        view(dw_only, {s.o, s.c, s.k, s.k}), Tensor(), p);
    CHECK(bit_identical(dx_only, dx));
    CHECK(bit_identical(dw_only, dw));
  }
}

// One convolution's forward and backward on `be` at `threads` OpenMP threads: y, dx, dw, db.
struct ConvResults {
  std::vector<float> y, dx, dw, db;
};
ConvResults run_conv(Backend& be, const ConvCase& s, int threads, uint32_t seed) {
  const ThreadLimit limit(threads);
  auto x = uniform(s.x_size(), -1, 1, seed);
  auto w = uniform(s.w_size(), -1, 1, seed + 1);
  auto b = uniform(static_cast<size_t>(s.o), -1, 1, seed + 2);
  auto dy = uniform(s.y_size(), -1, 1, seed + 3);
  ConvResults r{nan_vector(s.y_size()), nan_vector(s.x_size()), nan_vector(s.w_size()),
                nan_vector(b.size())};
  const Conv2dParams p{s.stride, s.pad};
  be.conv2d_forward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}), view(b, {s.o}),
                    view(r.y, {s.n, s.o, s.ho(), s.wo()}), p);
  be.conv2d_backward(view(x, {s.n, s.c, s.h, s.w}), view(w, {s.o, s.c, s.k, s.k}),
                     view(dy, {s.n, s.o, s.ho(), s.wo()}), view(r.dx, {s.n, s.c, s.h, s.w}),
                     view(r.dw, {s.o, s.c, s.k, s.k}), view(r.db, {s.o}), p);
  return r;
}

// The oneDNN kernels `mode` picks for case s.
std::string kernels_of(cpu::CpuBackend& mode, const ConvCase& s) {
  std::vector<float> xs(s.x_size()), ws(s.w_size()), ys(s.y_size());
  return mode.conv2d_implementations(view(xs, {s.n, s.c, s.h, s.w}), view(ws, {s.o, s.c, s.k, s.k}),
                                     view(ys, {s.n, s.o, s.ho(), s.wo()}), {s.stride, s.pad});
}

// Case s on a reduced-precision convolution mode against the direct backend: the same bits at 1 and
// 3 threads (groups of samples run whole on one thread each, in any mode). Where the mode's own
// kernels ran (`own`): within `rounding`'s tolerance of the direct kernel for sums of C*K*K (y),
// O*K*K (dx) and N*Ho*Wo (dw) terms of magnitude at most 1, and not its bits (another algorithm or
// rounded inputs); elsewhere the direct kernel's bits. Returns the mode's and the direct results.
std::pair<ConvResults, ConvResults> check_mode(Backend& direct, Backend& mode, const ConvCase& s,
                                               uint32_t seed, bool own, Rounding rounding) {
  const ConvResults ref = run_conv(direct, s, 1, seed);
  const ConvResults one = run_conv(mode, s, 1, seed);
  const ConvResults three = run_conv(mode, s, 3, seed);
  for (auto [a, b, what] : {std::tuple{&one.y, &three.y, "y"},
                            {&one.dx, &three.dx, "dx"},
                            {&one.dw, &three.dw, "dw"},
                            {&one.db, &three.db, "db"}})
    expect_same_bits(*a, *b, std::string(what) + " at 1 and 3 threads");
  CHECK(bit_identical(one.db, ref.db));  // the bias gradient is the backend's own sum
  if (!own) {
    expect_same_bits(one.y, ref.y, "y");
    expect_same_bits(one.dx, ref.dx, "dx");
    expect_same_bits(one.dw, ref.dw, "dw");
  } else {
    expect_close(one.y, ref.y, gemm_tolerance(rounding, s.c * s.k * s.k + 1, 1.0), "y");
    expect_close(one.dx, ref.dx, gemm_tolerance(rounding, s.o * s.k * s.k, 1.0), "dx");
    expect_close(one.dw, ref.dw, gemm_tolerance(rounding, s.n * s.ho() * s.wo(), 1.0), "dw");
    CHECK_FALSE(bit_identical(one.y, ref.y));
  }
  return {one, ref};
}

TEST_CASE(
    "cpu conv2d with Winograd allowed (train.precision tf32) uses it where oneDNN has it: within "
    "TF32 rounding of the direct convolution and the same bits at any thread count",
    "[cpu][conv2d]") {
  auto direct = make_cpu_backend();
  auto winograd_backend = make_cpu_backend(CpuConvolution::winograd);
  auto& winograd = static_cast<cpu::CpuBackend&>(*winograd_backend);
  // 3x3 at stride 1 with channels in multiples of 16 (Winograd's shapes: the ResNet's three stages
  // and the tuned CNN's 48 and 96 channels), a batch of 20 (a group of 16 and one of 4), and shapes
  // Winograd does not take (stride 2, 5x5, 3 input channels), which stay direct.
  const std::vector<ConvCase> cases = {
      {16, 32, 14, 14, 32, 3, 1, 1}, {20, 48, 12, 12, 96, 3, 1, 1}, {16, 64, 7, 7, 64, 3, 1, 1},
      {4, 32, 14, 14, 64, 3, 2, 1},  {4, 16, 9, 9, 16, 5, 1, 2},    {2, 3, 7, 6, 5, 3, 1, 1},
  };
  constexpr size_t kWinogradShapes = 3;  // the first three
  int winograd_cases = 0;
  uint32_t seed = 300;
  for (size_t i = 0; i < cases.size(); ++i) {
    const ConvCase& s = cases[i];
    CAPTURE(s.n, s.c, s.h, s.w, s.o, s.k, s.stride, s.pad);
    const std::string kernels = kernels_of(winograd, s);
    INFO("oneDNN kernels: " << kernels);
    const bool on_winograd = kernels.find("wino") != std::string::npos;
    if (i >= kWinogradShapes) CHECK_FALSE(on_winograd);
    winograd_cases += on_winograd;
    check_mode(*direct, winograd, s, seed += 10, on_winograd, Rounding::tf32);
  }
  // oneDNN's Winograd kernels are written for AVX-512 (jit_wino_4x3:avx512_core). Which of the
  // three shapes it gives them is its own choice per shape, and differs between CPUs: on an Intel
  // Xeon all three, on an AMD EPYC (Zen 5) the 14x14 and 12x12 maps and not the 7x7. At least one,
  // so that the mode is seen to reach Winograd at all.
  if (__builtin_cpu_supports("avx512f")) {
    CHECK(winograd_cases >= 1);
  } else {
    WARN("this CPU has no AVX-512, so oneDNN has no Winograd kernels: only the direct path ran");
  }
}

TEST_CASE(
    "cpu conv2d in bf16 (train.precision bf16) multiplies in bfloat16 on AMX: within bfloat16 "
    "rounding of the direct convolution and the same bits at any thread count",
    "[cpu][conv2d]") {
  auto direct = make_cpu_backend();
  auto bf16_backend = make_cpu_backend(CpuConvolution::bf16);
  auto& bf16 = static_cast<cpu::CpuBackend&>(*bf16_backend);
  // The ResNet's shapes (3x3 at stride 1 and 2, the 1x1 projection at stride 2) with a batch of 20
  // (a group of 16 and one of 4) and the tuned CNN's 48 to 96 channels, which take AMX where the
  // CPU has it; then a one-channel stem and 3 odd input channels, which take whatever oneDNN has.
  const std::vector<ConvCase> cases = {
      {20, 32, 14, 14, 32, 3, 1, 1}, {16, 32, 14, 14, 64, 3, 2, 1}, {16, 64, 8, 8, 128, 1, 2, 0},
      {4, 48, 12, 12, 96, 3, 1, 1},  {4, 1, 28, 28, 32, 3, 1, 1},   {2, 3, 7, 6, 5, 3, 1, 1},
  };
  const size_t amx_shapes = 4;
  const bool cpu_has_amx = dnnl::get_effective_cpu_isa() == dnnl::cpu_isa::avx512_core_amx;
  if (!cpu_has_amx)
    WARN("oneDNN finds no AMX on this CPU, so bf16 convolutions stay fp32: only that path runs");
  uint32_t seed = 400;
  for (size_t i = 0; i < cases.size(); ++i) {
    const ConvCase& s = cases[i];
    CAPTURE(s.n, s.c, s.h, s.w, s.o, s.k, s.stride, s.pad);
    const std::string kernels = kernels_of(bf16, s);
    INFO("oneDNN kernels: " << kernels);
    const bool on_amx = kernels.find("amx") != std::string::npos;
    if (i < amx_shapes) CHECK(on_amx == cpu_has_amx);
    if (!cpu_has_amx) CHECK_FALSE(on_amx);
    const auto [one, ref] = check_mode(*direct, bf16, s, seed += 10, on_amx, Rounding::bf16);
    // The inputs were rounded to 8 bits: the error is far above fp32's (about 2^-9 relative for a
    // sum of rounded products; fp32's is about 2^-24).
    if (on_amx) CHECK(relative_l2(one.y, ref.y) > 1e-4);
  }
}

}  // namespace emnist::test
