#include "emnist/toml_text.hpp"

#include <fmt/format.h>

#include <charconv>

namespace emnist {
namespace {

std::string as_float(std::string s) {
  // "inf" and "nan" contain an n; anything with a point or an exponent is a float already.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string shortest_text(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

std::string toml_float(double x) { return as_float(shortest_text(x)); }

std::string readable_toml_float(double x) { return as_float(fmt::format("{}", x)); }

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace emnist
