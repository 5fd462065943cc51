#pragma once
// Images that users bring (`emnist predict`, `emnist serve`): PNG, JPEG and PGM files decoded to
// grey, and the preprocessing NIST used to make EMNIST (Cohen et al. 2017), which turns a picture
// of one character into the form the models are trained on: 28x28, upright, light ink on dark.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emnist/error.hpp"

namespace emnist {

// What a decoder accepts; anything larger is refused before it is decoded (decompression bombs).
struct ImageLimits {
  int64_t max_width = 4096, max_height = 4096;
};

// Row-major grey values in [0, 1] (0 black, 1 white).
struct GreyImage {
  int width = 0, height = 0;
  std::vector<float> pixels;
  float at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

// An image whose dimensions exceed the limits (the server answers it with 413).
class ImageTooLarge : public UserError {
 public:
  using UserError::UserError;
};

// Decodes PNG, JPEG or PGM (P2, P5), told apart by their first bytes, never by a name. Colour is
// reduced to grey (PNG and JPEG as their libraries compute luma), transparency composited onto
// white paper, 16-bit samples scaled. UserError "<source>: <what is wrong>" for anything else: not
// an image, truncated or corrupt data, zero or too large dimensions, CMYK JPEG.
GreyImage decode_image(std::span<const uint8_t> bytes, const std::string& source,
                       const ImageLimits& limits = {});

constexpr int kEmnistSide = 28;
using EmnistImage = std::array<uint8_t, kEmnistSide * kEmnistSide>;  // row-major, upright

// NIST's conversion of a character image into EMNIST's form: ink made light on a dark ground (a
// light border is taken as paper), the image scaled to 128 pixels on its long side (NIST's
// resolution) and blurred with a Gaussian of sigma 1, cropped to the character's bounding box,
// centred in a square that keeps its aspect ratio, padded by 2 pixels, downsampled to 28x28
// bicubically and scaled to 0..255. A blank image gives all zeros.
EmnistImage emnist_form(const GreyImage& image);

}  // namespace emnist
