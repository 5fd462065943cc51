#include "toml_read.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "emnist/error.hpp"

namespace emnist {

std::string read_user_file(const std::filesystem::path& path, const std::string& what,
                           const std::string& hint) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UserError(what + " " + path.string() + ": no such file (" + hint + ")");
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw UserError(what + " " + path.string() + ": cannot be read");
  return ss.str();
}

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream ss;
    ss << source << ":" << e.source().begin.line << ":" << e.source().begin.column
       << ": not valid TOML: " << e.description();
    throw UserError(ss.str());
  }
}

std::string describe(const toml::node& node) {
  std::ostringstream ss;
  if (node.is_string()) {
    ss << '"' << node.as_string()->get() << '"';
  } else if (node.is_array()) {
    ss << "an array";
  } else if (node.is_table()) {
    ss << "a table";
  } else {
    node.visit([&](auto&& n) {
      if constexpr (toml::is_value<decltype(n)>) ss << n.get();
    });
  }
  return ss.str();
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

void TomlReader::fail(const std::string& key, const std::string& what) const {
  throw UserError(at(key) + ": " + what);
}

int64_t TomlReader::integer(const toml::node& node, const std::string& key, int64_t lo,
                            int64_t hi) const {
  const auto* v = node.as_integer();
  if (v == nullptr) fail(key, "expected an integer, got " + describe(node));
  const int64_t x = v->get();
  if (x < lo || x > hi)
    fail(key, std::to_string(x) + " is out of range: allowed " + std::to_string(lo) + " to " +
                  (hi == std::numeric_limits<int32_t>::max() ? std::string("any larger")
                                                             : std::to_string(hi)));
  return x;
}

double TomlReader::number(const toml::node& node, const std::string& key) const {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) return f->get();
  fail(key, "expected a number, got " + describe(node));
}

bool TomlReader::boolean(const toml::node& node, const std::string& key) const {
  const auto* v = node.as_boolean();
  if (v == nullptr) fail(key, "expected true or false, got " + describe(node));
  return v->get();
}

std::string TomlReader::string(const toml::node& node, const std::string& key) const {
  const auto* v = node.as_string();
  if (v == nullptr) fail(key, "expected a string, got " + describe(node));
  return v->get();
}

std::string TomlReader::choice(const toml::node& node, const std::string& key,
                               const std::vector<std::string>& allowed) const {
  const std::string v = string(node, key);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    fail(key, "\"" + v + "\" is not allowed: use one of " + join(allowed));
  return v;
}

}  // namespace emnist
