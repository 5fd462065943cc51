#pragma once
// A log file beside the console for as long as this object lives: each sweep, final run and
// study keeps the log of its own work in its own directory.
#include <filesystem>
#include <memory>

namespace spdlog::sinks {
class sink;
}

namespace emnist {

class ScopedLogFile {
 public:
  explicit ScopedLogFile(const std::filesystem::path& path);
  ~ScopedLogFile();
  ScopedLogFile(const ScopedLogFile&) = delete;
  ScopedLogFile& operator=(const ScopedLogFile&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace emnist
