#pragma once
// Small data files for the data tests: IDX, Kaggle CSV and mapping text built byte by byte, so each
// test can write exactly the (possibly broken) file it needs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace emnist::test {

inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

inline std::string idx_images(uint32_t count, uint32_t rows, uint32_t cols,
                              const std::vector<uint8_t>& pixels) {
  return be32(0x00000803) + be32(count) + be32(rows) + be32(cols) +
         std::string(pixels.begin(), pixels.end());
}

inline std::string idx_labels(const std::vector<uint8_t>& labels) {
  return be32(0x00000801) + be32(static_cast<uint32_t>(labels.size())) +
         std::string(labels.begin(), labels.end());
}

// Pixels where every image differs and no image equals its own transpose: p = 7*i + 3*r + 11*c +
// r*c*c.
inline std::vector<uint8_t> pattern_pixels(uint32_t count, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> pixels;
  for (uint32_t i = 0; i < count; ++i)
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t c = 0; c < cols; ++c)
        pixels.push_back(static_cast<uint8_t>(7 * i + 3 * r + 11 * c + r * c * c));
  return pixels;
}

// One Kaggle CSV line: the label, then the pixels.
inline std::string csv_line(int label, const uint8_t* pixels, int n) {
  std::string line = std::to_string(label);
  for (int i = 0; i < n; ++i) line += "," + std::to_string(pixels[i]);
  return line + "\n";
}

// An IDX set (images and labels, gzipped) under its official EMNIST name in `dir`.
inline void write_emnist_idx(const std::filesystem::path& dir, const std::string& name,
                             const std::string& set, uint32_t rows, uint32_t cols,
                             const std::vector<uint8_t>& labels) {
  const auto n = static_cast<uint32_t>(labels.size());
  write_file(dir / (name + "-" + set + "-images-idx3-ubyte.gz"),
             gzip(idx_images(n, rows, cols, pattern_pixels(n, rows, cols))));
  write_file(dir / (name + "-" + set + "-labels-idx1-ubyte.gz"), gzip(idx_labels(labels)));
}

// "0 48\n1 49\n..." for `classes` digit-like classes starting at label `first`.
inline std::string digit_mapping(int classes, int first = 0) {
  std::string text;
  for (int c = 0; c < classes; ++c) {
    text += std::to_string(first + c) + " " + std::to_string(48 + c) + "\n";
  }
  return text;
}

}  // namespace emnist::test
