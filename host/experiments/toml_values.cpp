#include "experiments/toml_values.hpp"

#include <fmt/format.h>

namespace emnist::sweep {

std::string float_text(double x) {
  std::string s = fmt::format("{}", x);  // shortest round-trip form
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string toml_text(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    std::string out = "\"";
    for (char c : s->get()) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return float_text(f->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* a = node.as_array()) {
    std::string out = "[";
    for (size_t i = 0; i < a->size(); ++i) out += (i ? ", " : "") + toml_text(*a->get(i));
    return out + "]";
  }
  return {};
}

std::string label_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  return toml_text(node);
}

}  // namespace emnist::sweep
