// PGM (netpbm's grey format), binary P5 and plain P2, maxval up to 65535. Written here because
// netpbm's own library reports a bad file by ending the process, which a server cannot have.
#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "emnist/error.hpp"
#include "images/decoders.hpp"

namespace emnist::images {
namespace {

class PgmReader {
 public:
  PgmReader(std::span<const uint8_t> bytes, const std::string& source)
      : bytes_(bytes), source_(source) {}

  // The next decimal number of the header or of a P2 body, skipping white space and comments.
  uint64_t number(const char* what) {
    skip_space();
    if (at_ >= bytes_.size() || std::isdigit(bytes_[at_]) == 0)
      throw UserError(
          fmt::format("{}: a PGM image whose {} is missing or not a number", source_, what));
    uint64_t value = 0;
    while (at_ < bytes_.size() && std::isdigit(bytes_[at_]) != 0) {
      value = value * 10 + (bytes_[at_++] - '0');
      if (value > 0xffffffffu)
        throw UserError(fmt::format("{}: a PGM image whose {} is too large", source_, what));
    }
    return value;
  }
  // P5: after maxval, exactly one white-space byte, then the samples.
  void end_of_header() {
    if (at_ >= bytes_.size() || std::isspace(bytes_[at_]) == 0)
      throw UserError(source_ + ": a PGM image without white space after its header");
    ++at_;
  }
  size_t at() const { return at_; }

 private:
  void skip_space() {
    while (at_ < bytes_.size()) {
      if (bytes_[at_] == '#') {
        while (at_ < bytes_.size() && bytes_[at_] != '\n') ++at_;
      } else if (std::isspace(bytes_[at_]) != 0) {
        ++at_;
      } else {
        break;
      }
    }
  }
  std::span<const uint8_t> bytes_;
  const std::string& source_;
  size_t at_ = 2;  // after the magic number
};

}  // namespace

GreyImage decode_pgm(std::span<const uint8_t> bytes, const std::string& source,
                     const ImageLimits& limits) {
  const bool plain = bytes[1] == '2';
  PgmReader reader(bytes, source);
  const uint64_t width = reader.number("width");
  const uint64_t height = reader.number("height");
  const uint64_t maxval = reader.number("maximum value");
  check_dimensions(width, height, source, limits);
  if (maxval == 0 || maxval > 65535)
    throw UserError(
        fmt::format("{}: a PGM image with maximum value {}; allowed 1 to 65535", source, maxval));
  GreyImage image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  const size_t count = static_cast<size_t>(width * height);
  image.pixels.resize(count);
  const float scale = 1.0f / static_cast<float>(maxval);
  if (plain) {
    for (size_t i = 0; i < count; ++i) {
      const uint64_t v = reader.number("sample");
      if (v > maxval)
        throw UserError(
            fmt::format("{}: a PGM sample of {} above its maximum value {}", source, v, maxval));
      image.pixels[i] = static_cast<float>(v) * scale;
    }
    return image;
  }
  reader.end_of_header();
  const size_t sample_bytes = maxval > 255 ? 2 : 1;
  const size_t start = reader.at();
  if (bytes.size() - start < count * sample_bytes)
    throw UserError(fmt::format("{}: a truncated PGM image: {} bytes of samples, {}x{} needs {}",
                                source, bytes.size() - start, width, height, count * sample_bytes));
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = bytes.data() + start + i * sample_bytes;
    const uint64_t v = sample_bytes == 2 ? (uint64_t{p[0]} << 8 | p[1]) : p[0];
    if (v > maxval)
      throw UserError(
          fmt::format("{}: a PGM sample of {} above its maximum value {}", source, v, maxval));
    image.pixels[i] = static_cast<float>(v) * scale;
  }
  return image;
}

}  // namespace emnist::images
