#pragma once
// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian
// data. Only F32 is written or read. Writing is deterministic: keys sorted, data in key order, no
// metadata that changes between runs, the header padded with spaces to a multiple of 8 bytes. The
// optional "__metadata__" entry is a map of strings (the format allows nothing else there).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace emnist {

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};
using TensorMap = std::map<std::string, HostTensor>;
using Metadata = std::map<std::string, std::string>;

std::string encode_safetensors(const TensorMap& tensors, const Metadata& metadata = {});
// `metadata`, when given, receives the __metadata__ entry (empty when there is none).
TensorMap decode_safetensors(const std::string& bytes, const std::string& source,
                             Metadata* metadata = nullptr);

// Atomically (write_file_atomic).
void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors);
// Validates everything (length, header JSON, dtype, shapes, offsets within and covering the data);
// UserError naming the file on any problem.
TensorMap read_safetensors(const std::filesystem::path& path, Metadata* metadata = nullptr);

std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace emnist
