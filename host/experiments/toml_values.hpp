#pragma once
// TOML values as text, for sweeps: an axis value becomes a config assignment ("train.lr" = text,
// read back by apply_override) and a label for tables. toml++ prints floats with 17 digits
// (0.10000000000000001), which no one wants to read in a table, hence these.
#include <toml++/toml.h>
#include <string>

namespace emnist::sweep {

// The shortest text that reads back as the same double, always looking like a float ("1.0").
std::string float_text(double x);
// TOML text of a value (string, number, bool, array of those); empty for a table.
std::string toml_text(const toml::node& node);
// For tables: a string without quotes, anything else as toml_text.
std::string label_text(const toml::node& node);

}  // namespace emnist::sweep
