#include <fmt/format.h>

#include <algorithm>

#include "emnist/error.hpp"
#include "images/decoders.hpp"

namespace emnist {
namespace images {

void check_dimensions(uint64_t width, uint64_t height, const std::string& source,
                      const ImageLimits& limits) {
  if (width == 0 || height == 0)
    throw UserError(
        fmt::format("{}: the image is {}x{} pixels; it has no pixels", source, width, height));
  if (width > static_cast<uint64_t>(limits.max_width) ||
      height > static_cast<uint64_t>(limits.max_height))
    throw ImageTooLarge(fmt::format(
        "{}: the image is {}x{} pixels, larger than the {}x{} allowed; scale it down first", source,
        width, height, limits.max_width, limits.max_height));
}

GreyImage from_bytes(int width, int height, const std::vector<uint8_t>& grey) {
  GreyImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(grey.size());
  std::transform(grey.begin(), grey.end(), image.pixels.begin(),
                 [](uint8_t v) { return static_cast<float>(v) / 255.0f; });
  return image;
}

}  // namespace images

GreyImage decode_image(std::span<const uint8_t> bytes, const std::string& source,
                       const ImageLimits& limits) {
  const auto starts_with = [&](std::initializer_list<uint8_t> magic) {
    return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
  };
  if (starts_with({0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}))
    return images::decode_png(bytes, source, limits);
  if (starts_with({0xff, 0xd8, 0xff})) return images::decode_jpeg(bytes, source, limits);
  if (starts_with({'P', '5'}) || starts_with({'P', '2'}))
    return images::decode_pgm(bytes, source, limits);
  if (bytes.empty()) throw UserError(source + ": the file is empty; give a PNG, JPEG or PGM image");
  throw UserError(source + ": not a PNG, JPEG or PGM image (by its first bytes)");
}

}  // namespace emnist
