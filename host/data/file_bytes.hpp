#pragma once
// A data file's whole content, for the readers to parse in place: an uncompressed file is mapped
// read-only (no zero-filling, no copy), a gzip file is inflated into memory.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace emnist::data {

// What a reader can tell from a file's first `head` bytes: the size the whole (uncompressed) file
// must have, so that no more is inflated or read in than that (a gzip of zeros behind a valid
// header costs nothing). `total` returns 0 for a header the reader will refuse: nothing past the
// head is needed to say why.
struct ExpectedSize {
  size_t head = 0;
  std::function<uint64_t(const uint8_t* data, size_t size)> total;
};

class FileBytes {
 public:
  // Throws UserError naming `path` when it is missing, unreadable, or a truncated or corrupt gzip.
  // With `expected`, a gzip is inflated up to one byte past the expected size at most
  // (cut_short() then says more was there), and a raw file is read in only if its size matches.
  explicit FileBytes(const std::filesystem::path& path, const ExpectedSize* expected = nullptr);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // The bytes from `offset` on, as a vector: the inflated buffer itself when there is one.
  std::vector<uint8_t> take_from(size_t offset) &&;
  // Inflation stopped at the expected size plus one: the file holds more than that.
  bool cut_short() const { return cut_short_; }

 private:
  std::vector<uint8_t> owned_;  // inflated (or read, where mapping is impossible) content
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool cut_short_ = false;
};

}  // namespace emnist::data
