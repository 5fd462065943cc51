#include "support/support.hpp"

#include <zlib.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace emnist::test {

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::optional<std::filesystem::path> shared_dir() {
  const char* env = std::getenv("EMNIST_SHARED");
  std::filesystem::path dir = env != nullptr && *env != '\0' ? env : EMNIST_SHARED_DEFAULT;
  if (std::filesystem::is_directory(dir / "data" / "emnist")) return dir;
  return std::nullopt;
}

void skip(const std::string& why) {
  std::cout << "SKIPPED: " << why << std::endl;
  std::cerr.flush();
  std::_Exit(77);
}

std::filesystem::path require_shared() {
  if (auto dir = shared_dir()) return *dir;
  const std::string why =
      "the shared data folder was not found (set EMNIST_SHARED to the folder that holds "
      "data/emnist)";
  if (in_ci()) throw std::runtime_error("CI=true and " + why);
  skip(why);
}

std::filesystem::path train_smoke_run(const std::filesystem::path& out, const std::string& sets,
                                      int limit) {
  const auto shared = require_shared();
  const auto r =
      run_command("EMNIST_PYTHON=/bin/false OMP_WAIT_POLICY=passive '" + std::string(EMNIST_CLI) +
                  "' --quiet train --config '" + std::string(EMNIST_SOURCE_DIR) +
                  "/configs/smoke.toml' --data '" + (shared / "data" / "emnist").string() +
                  "' --device cpu --out '" + out.string() +
                  "' --set train.epochs=1 --set data.limit=" + std::to_string(limit) + " " + sets);
  if (r.exit_code != 0) throw std::runtime_error("training failed:\n" + r.output);
  return out;
}

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() /
                     (tag + "-" + std::to_string(rd()) + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("could not create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command_line);
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_cli(const std::string& args, const std::filesystem::path& cwd) {
  const char* env = std::getenv("EMNIST_CLI");
  const std::string cli =
      std::filesystem::absolute(env != nullptr && *env != '\0' ? env : EMNIST_CLI).string();
  const std::string in = cwd.empty() ? "" : "cd '" + cwd.string() + "' && ";
  return run_command(in + "'" + cli + "' " + args);
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gzip(const std::string& bytes) {
  z_stream zs{};
  // windowBits 15 + 16: write a gzip header and trailer.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, bytes.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

PeakMemory measure_peak_memory(const std::string& command) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const std::string line = "exec " + command + " >/dev/null 2>&1";
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed");
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, static_cast<int64_t>(usage.ru_maxrss)};
}

bool under_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace emnist::test
