#pragma once
// The whole text of a file the engine wrote itself (a config.toml, a sweep's sweep.toml):
// empty when it cannot be read, which its callers treat as "not there".
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace emnist {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace emnist
