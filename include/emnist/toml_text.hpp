#pragma once
// Numbers and strings as the engine writes them into TOML (config.toml, sweep assignments) and into
// checkpoint metadata: the shortest text that reads back to the same value (std::to_chars: 0.1,
// where toml++ would print 0.10000000000000001), and TOML's basic-string quoting.
#include <string>

namespace emnist {

// The shortest text that reads back as the same value; may look like an integer ("1").
std::string shortest_text(double x);
// shortest_text, with ".0" added where TOML would otherwise read an integer.
std::string toml_float(double x);
// As toml_float, but in fixed notation wherever Python's repr would be (0.0001 where
// toml_float gives 1e-04): sweep axis values, whose text names the trials already stored.
std::string readable_toml_float(double x);
// A TOML basic string: in quotes, with quotes and backslashes escaped.
std::string toml_string(const std::string& s);
inline std::string toml_bool(bool b) { return b ? "true" : "false"; }

}  // namespace emnist
