#pragma once
// A data file's whole content, for the readers to parse in place: an uncompressed file is mapped
// read-only (no zero-filling, no copy), a gzip file is inflated into memory.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace emnist::data {

class FileBytes {
 public:
  // Throws UserError naming `path` when it is missing, unreadable, or a truncated or corrupt gzip.
  explicit FileBytes(const std::filesystem::path& path);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // The bytes from `offset` on, as a vector: the inflated buffer itself when there is one.
  std::vector<uint8_t> take_from(size_t offset) &&;

 private:
  std::vector<uint8_t> owned_;  // inflated (or read, where mapping is impossible) content
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace emnist::data
