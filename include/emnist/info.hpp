#pragma once
// What `emnist info` prints: the build, the GPUs, and every dataset in a data directory.
#include <filesystem>
#include <ostream>

namespace emnist {

void print_build_info(std::ostream& out);
// Reads and validates every file found, so a truncated file shows here too (UserError).
void print_data_info(std::ostream& out, const std::filesystem::path& dir);

}  // namespace emnist
