#include "emnist/log_file.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace emnist {

ScopedLogFile::ScopedLogFile(const std::filesystem::path& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path.string(), false);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  sink_ = file;
  spdlog::default_logger()->sinks().push_back(sink_);
}

ScopedLogFile::~ScopedLogFile() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace emnist
