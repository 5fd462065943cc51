#pragma once
// Every data error is one line that starts with the file it is about, so a user sees at once which
// file to fix or re-download.
#include <filesystem>
#include <string>

#include "emnist/error.hpp"

namespace emnist::data {

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& problem) {
  throw UserError(path.string() + ": " + problem);
}

inline constexpr const char* kRedownload = "re-download it (tools/fetch-emnist.sh)";

}  // namespace emnist::data
