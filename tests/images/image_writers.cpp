#include "images/image_writers.hpp"

#include <png.h>

#include <cstddef>
#include <cstdio>
#include <stdexcept>
// jpeglib.h uses size_t and FILE without declaring them.
#include <jpeglib.h>

namespace emnist::test {

std::vector<uint8_t> png_bytes(int width, int height, unsigned format,
                               const std::vector<uint8_t>& pixels) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = format;
  png_alloc_size_t size = 0;
  if (png_image_write_get_memory_size(png, size, 0, pixels.data(), 0, nullptr) == 0)
    throw std::runtime_error(std::string("png write: ") + png.message);
  std::vector<uint8_t> out(size);
  if (png_image_write_to_memory(&png, out.data(), &size, 0, pixels.data(), 0, nullptr) == 0)
    throw std::runtime_error(std::string("png write: ") + png.message);
  out.resize(size);
  return out;
}

std::vector<uint8_t> jpeg_bytes(int width, int height, int components,
                                const std::vector<uint8_t>& pixels, int quality) {
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);  // the default handler exits: a test's own bad call
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = components;
  info.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    auto* row = const_cast<JSAMPROW>(pixels.data() +
                                     static_cast<size_t>(info.next_scanline) * width * components);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&info);
  std::free(buffer);
  return out;
}

std::vector<uint8_t> pgm_bytes(int width, int height, const std::vector<uint8_t>& grey) {
  std::vector<uint8_t> out = bytes_of("P5\n# written by a test\n" + std::to_string(width) + " " +
                                      std::to_string(height) + "\n255\n");
  out.insert(out.end(), grey.begin(), grey.end());
  return out;
}

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

}  // namespace emnist::test
