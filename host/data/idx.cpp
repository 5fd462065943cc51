// IDX readers (LeCun's format, as MNIST and NIST's EMNIST use it): a big-endian magic number whose
// third byte is the element type (0x08: uint8) and fourth the number of dimensions, then one
// big-endian uint32 per dimension, then the elements. The file's size must match the header
// exactly: a short file is truncated, a long one is not what the header says it is.
#include <climits>
#include <cstdio>
#include <cstring>

#include "data/data_error.hpp"
#include "data/file_bytes.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

uint32_t read_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Checks the magic number and returns the dimensions; `what` is "images" or "labels".
std::vector<uint32_t> read_header(const std::filesystem::path& path, const data::FileBytes& b,
                                  uint32_t want_magic, const char* what) {
  const uint32_t want_dims = want_magic & 0xff;
  const std::string expected = hex32(want_magic) + " (IDX uint8 " + what + ", " +
                               std::to_string(want_dims) +
                               (want_dims == 1 ? " dimension)" : " dimensions)");
  if (b.size() < 4) {
    data::fail(path, "too short to be an IDX file (" + std::to_string(b.size()) +
                         " bytes); expected the magic number " + expected + "; " +
                         data::kRedownload);
  }
  const uint32_t magic = read_be32(b.data());
  if (magic != want_magic) {
    const uint32_t other = want_magic == kImagesMagic ? kLabelsMagic : kImagesMagic;
    std::string hint = "is this an IDX " + std::string(what) + " file?";
    if (magic == other) {
      hint = std::string("this is an IDX ") + (other == kLabelsMagic ? "labels" : "images") +
             " file: swap the images and labels paths";
    } else if ((magic >> 8) == 0x000008) {
      // Right element type, wrong rank: report it as the dimension problem it is.
      data::fail(path, "wrong dimensions: the header declares " + std::to_string(magic & 0xff) +
                           " dimensions but IDX " + what + " have " + std::to_string(want_dims) +
                           (want_dims == 1 ? " (count)" : " (count, rows, cols)"));
    }
    data::fail(path, "bad magic number " + hex32(magic) + ", expected " + expected + "; " + hint);
  }
  const size_t header = 4 + 4 * size_t{want_dims};
  if (b.size() < header) {
    data::fail(path, "truncated: " + std::to_string(b.size()) + " bytes, shorter than the " +
                         std::to_string(header) + "-byte IDX header; " + data::kRedownload);
  }
  std::vector<uint32_t> dims(want_dims);
  for (uint32_t i = 0; i < want_dims; ++i) dims[i] = read_be32(b.data() + 4 + 4 * i);
  return dims;
}

// Payload size against the header: the same message shape for images and labels. A gzip whose
// inflation stopped one byte past the promise holds more than that, however much more.
void check_size(const std::filesystem::path& path, const data::FileBytes& bytes, size_t header,
                uint64_t expected_payload, const std::string& promise) {
  const uint64_t held = bytes.size() - header;
  if (held == expected_payload && !bytes.cut_short()) return;
  const std::string what = held < expected_payload ? "truncated" : "trailing bytes";
  data::fail(
      path, what + ": the header promises " + promise + " (" + std::to_string(expected_payload) +
                " bytes after the " + std::to_string(header) + "-byte header) but the file holds " +
                (bytes.cut_short() ? "more" : std::to_string(held)) + "; " + data::kRedownload);
}

// The size an IDX file of `want_magic` must have, from its header (0 when the header is not one:
// read_header says why); saturates where the product overflows.
data::ExpectedSize idx_size(uint32_t want_magic) {
  const size_t header = 4 + 4 * size_t{want_magic & 0xff};
  return {header, [want_magic, header](const uint8_t* p, size_t n) -> uint64_t {
            if (n < header || read_be32(p) != want_magic) return 0;
            uint64_t total = 1;
            for (size_t i = 4; i < header; i += 4) {
              const uint64_t d = read_be32(p + i);
              if (d != 0 && total > UINT64_MAX / d) return UINT64_MAX;
              total *= d;
            }
            return total > UINT64_MAX - header ? UINT64_MAX : total + header;
          }};
}

}  // namespace

RawImages read_idx_images(const std::filesystem::path& path) {
  const data::ExpectedSize expected = idx_size(kImagesMagic);
  data::FileBytes bytes(path, &expected);
  const auto dims = read_header(path, bytes, kImagesMagic, "images");
  const uint32_t n = dims[0], rows = dims[1], cols = dims[2];
  if (rows == 0 || cols == 0 || rows > INT_MAX || cols > INT_MAX) {
    data::fail(path, "wrong dimensions: images of " + std::to_string(rows) + "x" +
                         std::to_string(cols) + " pixels; " + data::kRedownload);
  }
  if (n == 0) data::fail(path, "empty: the header says the file holds 0 images");
  // n, rows and cols are each below 2^32, so rows*cols fits; n*rows*cols may not.
  const uint64_t image_bytes = uint64_t{rows} * cols;
  const std::string promise =
      std::to_string(n) + " images of " + std::to_string(rows) + "x" + std::to_string(cols);
  if (n > UINT64_MAX / image_bytes) {
    data::fail(path, "truncated: the header promises " + promise +
                         ", more bytes than any file holds, but the file holds " +
                         std::to_string(bytes.size() - 16) + "; " + data::kRedownload);
  }
  check_size(path, bytes, 16, n * image_bytes, promise);

  RawImages images;
  images.count = n;
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  images.pixels = std::move(bytes).take_from(16);
  return images;
}

std::vector<uint8_t> read_idx_labels(const std::filesystem::path& path) {
  const data::ExpectedSize expected = idx_size(kLabelsMagic);
  data::FileBytes bytes(path, &expected);
  const auto dims = read_header(path, bytes, kLabelsMagic, "labels");
  const uint32_t n = dims[0];
  if (n == 0) data::fail(path, "empty: the header says the file holds 0 labels");
  check_size(path, bytes, 8, n, std::to_string(n) + " labels");
  return std::move(bytes).take_from(8);
}

}  // namespace emnist
