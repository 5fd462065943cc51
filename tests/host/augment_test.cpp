// math::augment_draw and augment_pixel, the training-time augmentation that every feeder and
// backend runs: the identity when off, exact shifts, rotations within their bound, never a flip.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "emnist/element_math.hpp"
#include "support/synthetic_data.hpp"

using namespace emnist;

namespace {

std::vector<uint8_t> noise_image(uint32_t seed) {
  std::vector<uint8_t> image(784);
  for (size_t i = 0; i < image.size(); ++i)
    image[i] = static_cast<uint8_t>(math::random_bits(seed, 77, i) >> 56);
  return image;
}

// The centre of mass of an image, (x, y).
std::pair<double, double> centroid(const std::vector<float>& image) {
  double mass = 0, x = 0, y = 0;
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c) {
      const double v = image[static_cast<size_t>(r * 28 + c)];
      mass += v;
      x += v * c;
      y += v * r;
    }
  return {x / mass, y / mass};
}

// The augmentation of one sample compiled for a CPU with FMA (x86-64-v3), every call inlined into
// it, so that the compiler could fuse the shared formulas' products into their sums here if the
// build let it (it must not: -ffp-contract=off, as the kernels round each operation on its own).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EMNIST_TEST_FMA 1
__attribute__((target("arch=x86-64-v3"), flatten)) void augment_with_fma(
    const uint8_t* image, const math::AugmentSpec& spec, int epoch, uint64_t id, float* out) {
  math::augment_image(image, 28, 28, spec, math::augment_draw(spec, epoch, id), out);
}
#endif

}  // namespace

TEST_CASE("augment: all zero is the plain image, bit for bit", "[augment]") {
  const auto image = noise_image(1);
  const math::AugmentSpec off;
  CHECK_FALSE(math::augment_active(off));
  std::vector<float> out(784);
  math::augment_image(image.data(), 28, 28, off, math::augment_draw(off, 3, 17), out.data());
  for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == math::pixel_value(image[i]));
}

TEST_CASE("augment: a shift moves the image by the drawn translation", "[augment]") {
  // A blob in the middle, far from the edges: bilinear sampling keeps its centre of mass exact up
  // to rounding, so the centroid moves by -(tx, ty) (output pixel p reads the source at p + t).
  std::vector<uint8_t> blob(784, 0);
  for (int r = 11; r < 17; ++r)
    for (int c = 10; c < 15; ++c) blob[static_cast<size_t>(r * 28 + c)] = 200;
  std::vector<float> plain(784);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = math::pixel_value(blob[i]);
  const auto [x0, y0] = centroid(plain);
  math::AugmentSpec shift;
  shift.translate = 3.0f;
  shift.seed = 5;
  int moved = 0;
  for (uint64_t id = 0; id < 20; ++id) {
    const math::AugmentDraw t = math::augment_draw(shift, 0, id);
    CHECK(std::abs(t.tx) <= 3.0f);
    CHECK(std::abs(t.ty) <= 3.0f);
    std::vector<float> out(784);
    math::augment_image(blob.data(), 28, 28, shift, t, out.data());
    const auto [x, y] = centroid(out);
    CHECK(x == Approx(x0 - t.tx).margin(1e-4));
    CHECK(y == Approx(y0 - t.ty).margin(1e-4));
    moved += std::abs(t.tx) > 0.5f;
  }
  CHECK(moved > 5);
}

TEST_CASE("augment: rotations stay within their bound, and nothing is ever flipped", "[augment]") {
  math::AugmentSpec rotate;
  rotate.tan_half_rotation = static_cast<float>(std::tan(30.0 * M_PI / 360.0));  // 30 degrees
  rotate.seed = 2;
  double largest = 0;
  for (uint64_t id = 0; id < 500; ++id) {
    const math::AugmentDraw t = math::augment_draw(rotate, 1, id);
    // A pure rotation: orthonormal columns.
    CHECK(t.a * t.a + t.c * t.c == Approx(1.0).margin(1e-6));
    CHECK(t.a == Approx(t.d).margin(1e-6));
    const double degrees = std::atan2(t.c, t.a) * 180.0 / M_PI;
    CHECK(std::abs(degrees) <= 30.0 + 1e-4);
    largest = std::max(largest, std::abs(degrees));
  }
  CHECK(largest > 25.0);
  // Everything at once: the map's determinant stays positive (a flip would make it negative).
  math::AugmentSpec all;
  all.tan_half_rotation = 1.0f;  // 90 degrees, the largest the config allows
  all.scale = 0.49f;
  all.shear = 1.0f;
  all.translate = 8.0f;
  all.elastic = 8.0f;
  all.seed = 9;
  for (uint64_t id = 0; id < 500; ++id) {
    const math::AugmentDraw t = math::augment_draw(all, 4, id);
    REQUIRE(t.a * t.d - t.b * t.c > 0.0f);
  }
}

TEST_CASE("augment: the draw is a function of (seed, epoch, sample) alone; values stay in [0, 1]",
          "[augment]") {
  const auto image = noise_image(2);
  const math::AugmentSpec s = test::every_augmentation(11);
  auto render = [&](const math::AugmentSpec& spec, int epoch, uint64_t id) {
    std::vector<float> out(784);
    math::augment_image(image.data(), 28, 28, spec, math::augment_draw(spec, epoch, id),
                        out.data());
    return out;
  };
  const auto a = render(s, 0, 42);
  CHECK(render(s, 0, 42) == a);
  CHECK(render(s, 1, 42) != a);
  CHECK(render(s, 0, 43) != a);
  math::AugmentSpec other = s;  // another seed
  other.seed = 12;
  CHECK(render(other, 0, 42) != a);
  for (float v : a) REQUIRE((v >= 0.0f && v <= 1.0f));
  // The elastic part alone moves pixels too.
  math::AugmentSpec elastic;
  elastic.elastic = 2.0f;
  elastic.seed = 11;
  std::vector<float> plain(784);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = math::pixel_value(image[i]);
  CHECK(render(elastic, 0, 42) != plain);
}

TEST_CASE("augment: the same bits where the compiler has FMA instructions to fuse with",
          "[augment]") {
#ifdef EMNIST_TEST_FMA
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    WARN("this CPU has no AVX2 and FMA: nothing to compare");
    return;
  }
  const auto image = noise_image(3);
  const math::AugmentSpec s = test::every_augmentation(13);
  int64_t differing = 0;
  for (uint64_t id = 0; id < 64; ++id) {
    std::vector<float> plain(784), fused(784);
    math::augment_image(image.data(), 28, 28, s, math::augment_draw(s, 0, id), plain.data());
    augment_with_fma(image.data(), s, 0, id, fused.data());
    differing += std::memcmp(plain.data(), fused.data(), plain.size() * sizeof(float)) != 0;
  }
  CHECK(differing == 0);
#else
  WARN("not x86-64 with GCC: nothing to compare");
#endif
}
