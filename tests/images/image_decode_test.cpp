// The decoders behind `emnist predict` and `emnist serve`: every format and colour type to the
// same grey, and every bad file one UserError naming the source and the problem.
#include <png.h>
#include <zlib.h>

#include <catch2/catch.hpp>

#include "emnist/error.hpp"
#include "emnist/image_input.hpp"
#include "images/image_writers.hpp"

using namespace emnist;

namespace {

// A 6x4 gradient, grey values 0, 50, ..., one per pixel.
std::vector<uint8_t> gradient() {
  std::vector<uint8_t> g(24);
  for (size_t i = 0; i < g.size(); ++i) g[i] = static_cast<uint8_t>(i * 10);
  return g;
}

void check_gradient(const GreyImage& image, float tolerance) {
  REQUIRE(image.width == 6);
  REQUIRE(image.height == 4);
  const auto g = gradient();
  for (size_t i = 0; i < g.size(); ++i) {
    INFO(i);
    CHECK(image.pixels[i] == Approx(g[i] / 255.0f).margin(tolerance));
  }
}

// The message starts with `message` (what follows it, a library's own words, may vary).
void check_error(const std::vector<uint8_t>& bytes, const std::string& message,
                 const ImageLimits& limits = {}) {
  try {
    decode_image(bytes, "x.img", limits);
    FAIL("no error; expected: " << message);
  } catch (const UserError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind(message, 0) == 0);
    CHECK(what.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("images: PNG grey, RGB, transparent and 16-bit PNGs decode to the same grey",
          "[images]") {
  const auto g = gradient();
  check_gradient(decode_image(test::png_bytes(6, 4, PNG_FORMAT_GRAY, g), "g.png"), 0.0f);
  std::vector<uint8_t> rgb;
  for (uint8_t v : g) rgb.insert(rgb.end(), {v, v, v});
  check_gradient(decode_image(test::png_bytes(6, 4, PNG_FORMAT_RGB, rgb), "rgb.png"), 1.0f / 255);
  // Fully transparent pixels are white paper; opaque ones keep their value.
  std::vector<uint8_t> rgba;
  for (size_t i = 0; i < g.size(); ++i)
    rgba.insert(rgba.end(), {g[i], g[i], g[i], static_cast<uint8_t>(i == 0 ? 0 : 255)});
  const GreyImage t = decode_image(test::png_bytes(6, 4, PNG_FORMAT_RGBA, rgba), "a.png");
  CHECK(t.pixels[0] == 1.0f);
  CHECK(t.pixels[5] == Approx(50 / 255.0f).margin(1.0f / 255));
  // A pure colour reduces to its luma: red is darker than green.
  const GreyImage red = decode_image(test::png_bytes(1, 1, PNG_FORMAT_RGB, {255, 0, 0}), "r.png");
  const GreyImage green = decode_image(test::png_bytes(1, 1, PNG_FORMAT_RGB, {0, 255, 0}), "g.png");
  CHECK(red.pixels[0] < green.pixels[0]);
  CHECK(red.pixels[0] > 0.1f);
}

TEST_CASE("images: JPEG grey and colour decode to the grey they were written from", "[images]") {
  // A flat image survives JPEG's quantisation nearly exactly; a gradient within a few levels.
  const std::vector<uint8_t> flat(64 * 48, 180);
  const GreyImage grey = decode_image(test::jpeg_bytes(64, 48, 1, flat), "g.jpg");
  REQUIRE(grey.width == 64);
  REQUIRE(grey.height == 48);
  for (float v : grey.pixels) CHECK(v == Approx(180 / 255.0f).margin(2.0f / 255));
  std::vector<uint8_t> rgb;
  for (size_t i = 0; i < flat.size(); ++i) rgb.insert(rgb.end(), {180, 180, 180});
  const GreyImage colour = decode_image(test::jpeg_bytes(64, 48, 3, rgb), "c.jpg");
  for (float v : colour.pixels) CHECK(v == Approx(180 / 255.0f).margin(2.0f / 255));
}

TEST_CASE("images: PGM binary, plain and 16-bit", "[images]") {
  check_gradient(decode_image(test::pgm_bytes(6, 4, gradient()), "g.pgm"), 0.0f);
  std::string plain = "P2\n6 4\n# a comment\n255\n";
  for (uint8_t v : gradient()) plain += std::to_string(v) + " ";
  check_gradient(decode_image(test::bytes_of(plain), "p.pgm"), 0.0f);
  auto wide = test::bytes_of("P5 2 1 1000\n");
  wide.insert(wide.end(), {0x03, 0xe8, 0x01, 0xf4});  // 1000 and 500 of 1000
  const GreyImage w = decode_image(wide, "w.pgm");
  CHECK(w.pixels[0] == 1.0f);
  CHECK(w.pixels[1] == Approx(0.5f));
}

TEST_CASE("images: bad files are one UserError naming the file and the problem", "[images]") {
  check_error({}, "x.img: the file is empty; give a PNG, JPEG or PGM image");
  check_error(test::bytes_of("GIF89a......"), "x.img: not a PNG, JPEG or PGM image");
  const auto png = test::png_bytes(6, 4, PNG_FORMAT_GRAY, gradient());
  check_error({png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() - 20)},
              "x.img: a corrupt or truncated PNG image");
  check_error({png.begin(), png.begin() + 12}, "x.img: not a readable PNG image");
  const auto jpeg = test::jpeg_bytes(64, 48, 1, std::vector<uint8_t>(64 * 48, 99));
  check_error({jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2)},
              "x.img: a corrupt or truncated JPEG image");
  // CMYK has no grey conversion in libjpeg: refused, not misread.
  check_error(test::jpeg_bytes(8, 8, 4, std::vector<uint8_t>(8 * 8 * 4, 50)),
              "x.img: a corrupt or truncated JPEG image (Unsupported color conversion request)");
  check_error(test::bytes_of("P5\n0 5\n255\n"), "x.img: the image is 0x5 pixels; it has no pixels");
  check_error(test::bytes_of("P5\n4 4\n255\nabc"),
              "x.img: a truncated PGM image: 3 bytes of samples, 4x4 needs 16");
  check_error(test::bytes_of("P2\n2 1\n9\n3 12\n"),
              "x.img: a PGM sample of 12 above its maximum value 9");
  check_error(test::bytes_of("P5\nwide 4\n255\n"),
              "x.img: a PGM image whose width is missing or not a number");
  check_error(test::bytes_of("P5\n4 4\n70000\n"),
              "x.img: a PGM image with maximum value 70000; allowed 1 to 65535");
}

TEST_CASE("images: dimensions beyond the limits are refused before decoding", "[images]") {
  // Headers that announce more than they hold, as a decompression bomb does: the size is refused
  // from the header alone, whatever follows.
  check_error(test::bytes_of("P5\n100000 100000\n255\n"),
              "x.img: the image is 100000x100000 pixels, larger than the 4096x4096 allowed; scale "
              "it down first");
  // A PNG whose IHDR claims 50000 x 50000 (its CRC recomputed).
  auto png = test::png_bytes(6, 4, PNG_FORMAT_GRAY, gradient());
  const size_t ihdr = 8 + 4;  // signature, then the chunk's length
  for (size_t at : {ihdr + 4, ihdr + 8}) {
    png[at] = 0;
    png[at + 1] = 0;
    png[at + 2] = 0xc3;
    png[at + 3] = 0x50;
  }
  const uLong crc = crc32(0, png.data() + ihdr, 4 + 13);
  for (int i = 0; i < 4; ++i) png[ihdr + 17 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  check_error(png, "x.img: the image is 50000x50000 pixels, larger than the 4096x4096 allowed");
  // Limits are the caller's.
  ImageLimits small;
  small.max_width = 5;
  check_error(test::png_bytes(6, 4, PNG_FORMAT_GRAY, gradient()),
              "x.img: the image is 6x4 pixels, larger than the 5x4096 allowed", small);
  const auto jpeg = test::jpeg_bytes(64, 48, 1, std::vector<uint8_t>(64 * 48, 99));
  check_error(jpeg, "x.img: the image is 64x48 pixels, larger than the 5x4096 allowed", small);
}
