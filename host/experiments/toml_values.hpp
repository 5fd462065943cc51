#pragma once
// TOML values as text, for sweeps: an axis value becomes a config assignment ("train.lr" = text,
// read back by apply_override) and a label for tables, numbers in their shortest form
// (emnist/toml_text.hpp).
#include <toml++/toml.h>
#include <string>

namespace emnist::sweep {

// TOML text of a value (string, number, bool, array of those); empty for a table.
std::string toml_text(const toml::node& node);
// For tables: a string without quotes, anything else as toml_text.
std::string label_text(const toml::node& node);

}  // namespace emnist::sweep
