// JPEG through libjpeg(-turbo). Its errors leave by longjmp to the setjmp below, with nothing
// between the two that has a destructor to skip; its warnings (a truncated file among them, which
// libjpeg would otherwise fill with grey) are errors here too.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
// jpeglib.h uses size_t and FILE without declaring them.
#include <jpeglib.h>

#include "emnist/error.hpp"
#include "images/decoders.hpp"

namespace emnist::images {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;  // first: libjpeg sees a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void warn(j_common_ptr info, int level) {
  if (level < 0) fail(info);  // a warning (corrupt or truncated data); trace messages are ignored
}

// The decoding itself, kept free of C++ objects so that a longjmp out of libjpeg skips nothing:
// returns false with the message in errors.message. `grey` is sized by `reserve` once the header
// is read (and checked by it).
template <class Reserve>
bool decode(std::span<const uint8_t> bytes, ErrorManager& errors, jpeg_decompress_struct& info,
            Reserve reserve, int& width, int& height) {
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = fail;
  errors.base.emit_message = warn;
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_GRAYSCALE;  // luma; libjpeg refuses CMYK here
  uint8_t* out = reserve(info.image_width, info.image_height);
  if (out == nullptr) {
    jpeg_destroy_decompress(&info);
    return true;  // refused by its size: the caller throws
  }
  jpeg_start_decompress(&info);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out + static_cast<size_t>(info.output_scanline) * info.output_width;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  width = static_cast<int>(info.output_width);
  height = static_cast<int>(info.output_height);
  jpeg_destroy_decompress(&info);
  return true;
}

}  // namespace

GreyImage decode_jpeg(std::span<const uint8_t> bytes, const std::string& source,
                      const ImageLimits& limits) {
  ErrorManager errors{};
  jpeg_decompress_struct info{};
  std::vector<uint8_t> grey;
  bool too_large = false;
  uint64_t header_width = 0, header_height = 0;
  const auto reserve = [&](JDIMENSION w, JDIMENSION h) -> uint8_t* {
    header_width = w;
    header_height = h;
    if (w == 0 || h == 0 || w > static_cast<uint64_t>(limits.max_width) ||
        h > static_cast<uint64_t>(limits.max_height)) {
      too_large = true;
      return nullptr;
    }
    grey.assign(static_cast<size_t>(w) * h, 0);
    return grey.data();
  };
  int width = 0, height = 0;
  if (!decode(bytes, errors, info, reserve, width, height))
    throw UserError(source + ": a corrupt or truncated JPEG image (" + errors.message + ")");
  if (too_large) check_dimensions(header_width, header_height, source, limits);
  return from_bytes(width, height, grey);
}

}  // namespace emnist::images
