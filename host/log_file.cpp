#include "emnist/log_file.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "emnist/error.hpp"

namespace emnist {

ScopedLogFile::ScopedLogFile(const std::filesystem::path& path) {
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
  try {
    file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false);
  } catch (const spdlog::spdlog_ex&) {
    const int err = errno;
    std::error_code ec;
    const std::string why = std::filesystem::is_directory(path, ec) ? "a directory is in the way"
                            : err != 0                              ? std::strerror(err)
                                                                    : "cannot be opened";
    throw UserError(path.string() + ": cannot write the log: " + why +
                    " (make the folder writable, or choose another with --out)");
  }
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  sink_ = file;
  spdlog::default_logger()->sinks().push_back(sink_);
}

ScopedLogFile::~ScopedLogFile() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace emnist
