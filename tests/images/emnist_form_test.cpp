// NIST's preprocessing (emnist_form): what it keeps (the character's shape, centred, upright,
// light on dark, filling the frame as EMNIST's do) whatever the picture's size and polarity, and
// the round trip of real EMNIST images through a 128-pixel drawing.
#include <stb_image_resize.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/image_input.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

// A w x h picture: ground `ground`, an axis-aligned bar of ink `ink` over [x0, x1) x [y0, y1).
GreyImage bar(int w, int h, int x0, int y0, int x1, int y1, float ground, float ink) {
  GreyImage image;
  image.width = w;
  image.height = h;
  image.pixels.assign(static_cast<size_t>(w) * h, ground);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) image.pixels[static_cast<size_t>(y) * w + x] = ink;
  return image;
}

struct Box {
  int x0 = kEmnistSide, y0 = kEmnistSide, x1 = -1, y1 = -1;
};
// Where the result has ink above half its maximum.
Box box(const EmnistImage& e) {
  Box b;
  for (int y = 0; y < kEmnistSide; ++y)
    for (int x = 0; x < kEmnistSide; ++x)
      if (e[static_cast<size_t>(y * kEmnistSide + x)] > 127) {
        b.x0 = std::min(b.x0, x);
        b.x1 = std::max(b.x1, x);
        b.y0 = std::min(b.y0, y);
        b.y1 = std::max(b.y1, y);
      }
  return b;
}

double mean_abs_difference(const EmnistImage& a, const EmnistImage& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::abs(int{a[i]} - int{b[i]});
  return sum / static_cast<double>(a.size()) / 255.0;
}

}  // namespace

TEST_CASE("emnist form: a tall bar comes out centred, upright, light on dark, filling the frame",
          "[images]") {
  // Dark ink on light paper, off-centre in a landscape picture.
  const EmnistImage e = emnist_form(bar(300, 200, 40, 30, 70, 170, 0.95f, 0.05f));
  CHECK(*std::max_element(e.begin(), e.end()) == 255);
  CHECK(e[0] == 0);  // the ground is dark
  const Box b = box(e);
  // Tall: its height spans the frame less the padding and the blur's reach; its width is about
  // 30/140 of that; centred both ways within a pixel.
  CHECK(b.y1 - b.y0 + 1 >= 22);
  CHECK(b.x1 - b.x0 + 1 <= 8);
  CHECK(std::abs((b.x0 + b.x1) - (kEmnistSide - 1)) <= 2);
  CHECK(std::abs((b.y0 + b.y1) - (kEmnistSide - 1)) <= 2);
}

TEST_CASE("emnist form: polarity, size, position and paper noise change nothing that matters",
          "[images]") {
  const EmnistImage reference = emnist_form(bar(300, 200, 40, 30, 70, 170, 0.95f, 0.05f));
  // Light ink on a dark ground.
  const EmnistImage inverted = emnist_form(bar(300, 200, 40, 30, 70, 170, 0.05f, 0.95f));
  CHECK(mean_abs_difference(reference, inverted) < 0.01);
  // The same drawing at a fifth of the size, elsewhere in a square picture.
  const EmnistImage small = emnist_form(bar(60, 60, 30, 10, 36, 38, 1.0f, 0.0f));
  CHECK(mean_abs_difference(reference, small) < 0.05);
  // Paper with texture: the ground and its noise fall to 0 with it.
  GreyImage noisy = bar(300, 200, 40, 30, 70, 170, 0.9f, 0.05f);
  for (size_t i = 0; i < noisy.pixels.size(); ++i)
    if (noisy.pixels[i] > 0.5f)
      noisy.pixels[i] += 0.04f * static_cast<float>((i * 7919) % 5) - 0.08f;
  CHECK(mean_abs_difference(reference, emnist_form(noisy)) < 0.05);
  // A blank picture is blank.
  const EmnistImage blank = emnist_form(bar(50, 50, 0, 0, 0, 0, 1.0f, 1.0f));
  CHECK(std::all_of(blank.begin(), blank.end(), [](uint8_t v) { return v == 0; }));
}

// The round trip: real EMNIST images drawn at 128x128 as dark ink on white (bicubic upscaling),
// then brought back: within 10% of the range of the originals on average (the bound).
// Measured: 2.7% over the first 200 images of the ByMerge file.
TEST_CASE("emnist form: real EMNIST images drawn at 128 pixels come back within 10%",
          "[images][data]") {
  const auto shared = test::require_shared();
  DataConfig dc;
  dc.dataset = "emnist-bymerge";
  dc.dir = (shared / "data" / "emnist").string();
  const Dataset data = load_dataset(dc);
  const ImageSet& set = data.has_train ? data.train : data.test;
  const int64_t count = std::min<int64_t>(set.count, 200);  // the file's first 200
  REQUIRE(count == 200);
  double total = 0;
  for (int64_t i = 0; i < count; ++i) {
    std::vector<float> original(784), drawn(128 * 128);
    for (size_t p = 0; p < 784; ++p) original[p] = 1.0f - set.image(i)[p] / 255.0f;
    REQUIRE(stbir_resize_float_generic(original.data(), 28, 28, 0, drawn.data(), 128, 128, 0, 1,
                                       STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                                       STBIR_FILTER_CATMULLROM, STBIR_COLORSPACE_LINEAR,
                                       nullptr) == 1);
    GreyImage picture;
    picture.width = picture.height = 128;
    picture.pixels = drawn;
    for (float& v : picture.pixels) v = std::clamp(v, 0.0f, 1.0f);
    EmnistImage before;
    std::copy_n(set.image(i), 784, before.begin());
    total += mean_abs_difference(before, emnist_form(picture));
  }
  const double mean = total / static_cast<double>(count);
  INFO("mean absolute difference over " << count << " images: " << mean);
  CHECK(mean < 0.10);
}
