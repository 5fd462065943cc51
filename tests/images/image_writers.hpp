#pragma once
// Image files written in memory by the tests, with the same libraries that decode them in the
// engine: PNG (libpng's simplified API) and JPEG (libjpeg), and PGM by hand.
#include <cstdint>
#include <string>
#include <vector>

namespace emnist::test {

// format: libpng's PNG_FORMAT_* (GRAY, RGB, RGBA, LINEAR_Y for 16-bit grey); `pixels` holds
// width * height * channels samples (uint16_t values, as bytes, for LINEAR_Y).
std::vector<uint8_t> png_bytes(int width, int height, unsigned format,
                               const std::vector<uint8_t>& pixels);
// components: 1 grey, 3 RGB, 4 CMYK.
std::vector<uint8_t> jpeg_bytes(int width, int height, int components,
                                const std::vector<uint8_t>& pixels, int quality = 95);
// P5 (maxval 255) of 8-bit grey.
std::vector<uint8_t> pgm_bytes(int width, int height, const std::vector<uint8_t>& grey);
std::vector<uint8_t> bytes_of(const std::string& text);

}  // namespace emnist::test
