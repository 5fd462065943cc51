// PNG through libpng's simplified API: it keeps libpng's setjmp to itself, reports every error as
// a message, and converts any colour type and bit depth to 8-bit grey for us.
#include <png.h>

#include "emnist/error.hpp"
#include "images/decoders.hpp"

namespace emnist::images {

GreyImage decode_png(std::span<const uint8_t> bytes, const std::string& source,
                     const ImageLimits& limits) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()) == 0)
    throw UserError(source + ": not a readable PNG image (" + png.message + ")");
  // Checked before a pixel is decoded: the header's size is what the decoder would allocate.
  try {
    check_dimensions(png.width, png.height, source, limits);
  } catch (...) {
    png_image_free(&png);
    throw;
  }
  png.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> grey(PNG_IMAGE_SIZE(png));
  // Transparent pixels are paper: composited onto white.
  const png_color white{255, 255, 255};
  if (png_image_finish_read(&png, &white, grey.data(), 0, nullptr) == 0)
    throw UserError(source + ": a corrupt or truncated PNG image (" + png.message + ")");
  return from_bytes(static_cast<int>(png.width), static_cast<int>(png.height), grey);
}

}  // namespace emnist::images
