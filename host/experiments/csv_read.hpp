#pragma once
// Reading back the CSV files the engine writes (RFC 4180: fields quoted when they hold a comma,
// quote or line break), for comparisons of finished runs.
#include <filesystem>
#include <string>
#include <vector>

namespace emnist::sweep {

// Rows of fields, the header row included. UserError naming the file when it cannot be read.
std::vector<std::vector<std::string>> read_csv_file(const std::filesystem::path& path);
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace emnist::sweep
