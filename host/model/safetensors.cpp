#include "emnist/safetensors.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"

namespace emnist {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

namespace {

int64_t numel_of(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

// The key of the checksum the engine writes into its own files' metadata.
constexpr const char* kChecksumKey = "emnist.crc32";

// CRC-32 of the tensor data and then of every other metadata entry (key and value, in key order):
// a changed byte anywhere but in the JSON's punctuation shows.
std::string checksum(const char* data, uint64_t size, const Metadata& metadata) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < size;) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(size - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data + done), chunk);
    done += chunk;
  }
  for (const auto& [key, value] : metadata) {
    if (key == kChecksumKey) continue;
    for (const std::string* text : {&key, &value})
      crc =
          crc32(crc, reinterpret_cast<const Bytef*>(text->data()), static_cast<uInt>(text->size()));
  }
  return fmt::format("{:08x}", crc);
}

}  // namespace

std::string encode_safetensors(const TensorMap& tensors, const Metadata& metadata) {
  // nlohmann::json keeps object keys sorted, and TensorMap iterates in that same order, so the data
  // follows the header's key order.
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (static_cast<int64_t>(t.values.size()) != numel_of(t.shape))
      throw std::invalid_argument("safetensors: tensor '" + name + "' has " +
                                  std::to_string(t.values.size()) + " values for shape " +
                                  shape_string(t.shape));
    const uint64_t bytes = sizeof(float) * t.values.size();
    header[name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string data;
  data.reserve(offset);
  for (const auto& [name, t] : tensors)
    data.append(reinterpret_cast<const char*>(t.values.data()), sizeof(float) * t.values.size());
  Metadata with_checksum = metadata;
  with_checksum[kChecksumKey] = checksum(data.data(), data.size(), metadata);
  header["__metadata__"] = with_checksum;
  std::string json = header.dump();
  // Aligning the data to 8 bytes lets a reader map it and view it as floats in place.
  json.append((8 - json.size() % 8) % 8, ' ');

  std::string out(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(out.data(), &length, sizeof length);
  out += json;
  out += data;
  return out;
}

TensorMap decode_safetensors(const std::string& bytes, const std::string& source,
                             Metadata* metadata) {
  auto fail = [&](const std::string& why) -> UserError {
    return UserError(fmt::format("{}: not a valid safetensors file: {}", source, why));
  };
  if (bytes.size() < 8)
    throw fail(
        fmt::format("truncated ({} bytes, shorter than the 8-byte header length)", bytes.size()));
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), sizeof length);
  if (length > bytes.size() - 8)
    throw fail(
        fmt::format("truncated (the header says {} bytes of JSON, the file has {} after the "
                    "length)",
                    length, bytes.size() - 8));
  nlohmann::json header;
  try {
    header =
        nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(length));
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("bad header JSON ({})", e.what()));
  }
  if (!header.is_object()) throw fail("bad header JSON (not an object)");

  const uint64_t data_size = bytes.size() - 8 - length;
  const char* data = bytes.data() + 8 + length;
  Metadata found;
  TensorMap out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw fail("__metadata__ '" + key + "' is not a string");
        found[key] = value.get<std::string>();
      }
      continue;
    }
    // (&key = name: clang 14 cannot capture a structured binding.)
    auto bad = [&, &key = name](const std::string& why) {
      return fail("tensor '" + key + "': " + why);
    };
    if (!entry.is_object()) throw bad("entry is not an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) throw bad("no dtype");
    if (entry["dtype"] != "F32")
      throw bad("dtype " + entry["dtype"].get<std::string>() + " (only F32 is supported)");
    if (!entry.contains("shape") || !entry["shape"].is_array()) throw bad("no shape");
    HostTensor t;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw bad("shape has a bad dimension");
      t.shape.push_back(d.get<int64_t>());
    }
    const auto& offsets = entry.contains("data_offsets") ? entry["data_offsets"] : nlohmann::json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      throw bad("data_offsets is not [begin, end]");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end) throw bad("data_offsets end before they begin");
    if (end > data_size)
      throw fail(fmt::format("truncated (tensor '{}' ends at byte {} of the data, which has {})",
                             name, end, data_size));
    // The element count, checked against the bytes present before multiplying: a shape claiming
    // more elements than the data holds (or overflowing 64 bits) is an error, not an allocation.
    const uint64_t have = (end - begin) / sizeof(float);
    uint64_t numel = 0;
    bool too_big = false;
    if (std::find(t.shape.begin(), t.shape.end(), int64_t{0}) == t.shape.end()) {
      numel = 1;
      for (int64_t d : t.shape) {
        if (numel > have / static_cast<uint64_t>(d)) {
          too_big = true;
          break;
        }
        numel *= static_cast<uint64_t>(d);
      }
    }
    if (too_big || end - begin != numel * sizeof(float))
      throw bad(fmt::format("{} bytes of data for shape {}", end - begin, shape_string(t.shape)));
    t.values.resize(numel);
    if (numel > 0) std::memcpy(t.values.data(), data + begin, end - begin);
    ranges.emplace_back(begin, end);
    out.emplace(name, std::move(t));
  }
  // The format requires the tensors to tile the data exactly: no overlaps and no holes.
  std::sort(ranges.begin(), ranges.end());
  uint64_t expect = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expect) throw fail("tensor data overlaps or leaves a hole");
    expect = end;
  }
  if (expect != data_size)
    throw fail(fmt::format("{} bytes of data after the last tensor", data_size - expect));
  // Files the engine wrote carry a checksum; others (PyTorch's, older ones) are taken as they are.
  if (const auto it = found.find(kChecksumKey);
      it != found.end() && it->second != checksum(data, data_size, found))
    throw UserError(fmt::format(
        "{}: damaged: its contents do not match the checksum written with it (a changed byte); "
        "use an undamaged copy, or train again",
        source));
  found.erase(kChecksumKey);
  if (metadata != nullptr) *metadata = std::move(found);
  return out;
}

void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors) {
  write_file_atomic(path, encode_safetensors(tensors));
}

TensorMap read_safetensors(const std::filesystem::path& path, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError(
        fmt::format("{}: cannot open the model file (was training finished?)", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return decode_safetensors(ss.str(), path.string(), metadata);
}

}  // namespace emnist
