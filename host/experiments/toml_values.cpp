#include "experiments/toml_values.hpp"

#include "emnist/toml_text.hpp"

namespace emnist::sweep {

std::string toml_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return toml_string(s->get());
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return readable_toml_float(f->get());
  if (const auto* b = node.as_boolean()) return toml_bool(b->get());
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
