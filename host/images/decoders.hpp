#pragma once
// The decoders behind decode_image, one file each, and what they share.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emnist/image_input.hpp"

namespace emnist::images {

GreyImage decode_png(std::span<const uint8_t> bytes, const std::string& source,
                     const ImageLimits& limits);
GreyImage decode_jpeg(std::span<const uint8_t> bytes, const std::string& source,
                      const ImageLimits& limits);
GreyImage decode_pgm(std::span<const uint8_t> bytes, const std::string& source,
                     const ImageLimits& limits);

// UserError naming the source unless 1 <= width <= max_width and 1 <= height <= max_height.
void check_dimensions(uint64_t width, uint64_t height, const std::string& source,
                      const ImageLimits& limits);
// 8-bit grey rows (width bytes each, no padding) as a GreyImage.
GreyImage from_bytes(int width, int height, const std::vector<uint8_t>& grey);

}  // namespace emnist::images
