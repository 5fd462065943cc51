// EMNIST mapping files: "label code [code2]" per line, the codes being Unicode code points (ASCII
// in practice). A class's index is its line's position, so Letters' labels 1..26 become 0..25.
#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>

#include "data/data_error.hpp"
#include "emnist/data.hpp"

namespace emnist {
namespace {

std::string utf8(int code) {
  std::string s;
  const auto c = static_cast<uint32_t>(code);
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

bool parse_int(const std::string& token, long& value) {
  if (token.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtol(token.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

bool valid_code_point(long c) { return c > 0 && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF); }

}  // namespace

std::vector<MappingEntry> read_mapping(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::vector<MappingEntry> mapping;
  std::set<int> seen;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    std::istringstream fields(text);
    std::vector<std::string> tokens;
    for (std::string t; fields >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    const std::string where = "line " + std::to_string(line) + ": ";
    if (tokens.size() < 2 || tokens.size() > 3) {
      data::fail(path, where + "expected 'label code [code2]', found " +
                           std::to_string(tokens.size()) + " fields");
    }
    long label = 0;
    if (!parse_int(tokens[0], label) || label < 0 || label > 1000000) {
      data::fail(path, where + "label '" + tokens[0] + "' is not a non-negative integer");
    }
    MappingEntry entry;
    entry.label = static_cast<int>(label);
    for (size_t i = 1; i < tokens.size(); ++i) {
      long code = 0;
      if (!parse_int(tokens[i], code) || !valid_code_point(code)) {
        data::fail(path, where + "'" + tokens[i] + "' is not a character code (1..1114111)");
      }
      entry.codes.push_back(static_cast<int>(code));
    }
    if (!seen.insert(entry.label).second) {
      data::fail(path, where + "label " + tokens[0] + " appears twice");
    }
    mapping.push_back(std::move(entry));
  }
  if (mapping.empty()) data::fail(path, "empty: no 'label code' lines");
  return mapping;
}

std::vector<std::string> class_names_from_mapping(const std::vector<MappingEntry>& mapping) {
  std::vector<std::string> names;
  names.reserve(mapping.size());
  for (const auto& entry : mapping) {
    std::string name;
    for (int code : entry.codes) name += utf8(code);
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace emnist
