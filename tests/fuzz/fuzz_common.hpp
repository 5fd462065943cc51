#pragma once
// Shared by the libFuzzer targets: the readers take paths, so each input is written to one file per
// process (under the temp directory, named by the pid) and read back from there.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "emnist/error.hpp"

namespace emnist_fuzz {

// The files made, removed when the process exits normally (libFuzzer's -max_total_time and -runs
// do).
struct InputFiles {
  std::set<std::filesystem::path> paths;
  ~InputFiles() {
    for (const auto& path : paths) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  }
};

// The same path for the same (target, suffix) for the life of the process.
inline std::filesystem::path input_file(const char* target, const char* suffix = "") {
  static InputFiles files;
  auto path = std::filesystem::temp_directory_path() /
              (std::string("emnist_") + target + "_" + std::to_string(::getpid()) + suffix);
  files.paths.insert(path);
  return path;
}

// Runs `read` on an input: a UserError is the expected answer to bad input, anything else escapes
// and crashes the target.
template <typename Read>
void expect_no_crash(Read&& read) {
  try {
    read();
  } catch (const emnist::UserError&) {
  }
}

inline void write_input(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace emnist_fuzz
