#include "emnist/run_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "emnist/error.hpp"

namespace emnist {
namespace {

[[noreturn]] void io_fail(const std::filesystem::path& path, const std::string& what, int err) {
  throw UserError(path.string() + ": " + what + ": " + std::strerror(err) +
                  " (make the folder writable and give it space, or choose another)");
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                       const std::function<void()>& midway) {
  const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) io_fail(path, "cannot create", errno);
  size_t done = 0;
  bool midway_done = !midway;
  while (done < bytes.size()) {
    const size_t chunk = midway_done ? bytes.size() - done : bytes.size() / 2 - done;
    if (chunk == 0) {
      midway();
      midway_done = true;
      continue;
    }
    const ssize_t n = ::write(fd, bytes.data() + done, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      io_fail(path, "cannot write", err);
    }
    done += static_cast<size_t>(n);
  }
  // The data must be on disk before the rename makes it visible under the final name.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    io_fail(path, "cannot write", err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    io_fail(path, "cannot write", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    io_fail(path, "cannot rename into place", err);
  }
}

std::vector<std::filesystem::path> RunFiles::all() const {
  std::vector<std::filesystem::path> files = {
      config(),         log(),           metrics(),       summary(), model(),
      checkpoint_dir(), sample_images(), sample_labels(), page(),    plots()};
  for (const char* split : {"train", "val", "test"})
    for (const auto& f :
         {confusion(split), report(split), predictions(split), prediction_images(split)})
      files.push_back(f);
  return files;
}

namespace {

constexpr const char* kLockName = ".lock";

}  // namespace

DirectoryKind directory_kind(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return DirectoryKind::absent_or_empty;
  const RunFiles run(dir);
  const SweepFiles sweep(dir);
  const ComparisonFiles comparison(dir);
  if (std::filesystem::exists(run.checkpoint(), ec) && !std::filesystem::exists(run.model(), ec))
    return DirectoryKind::interrupted_run;
  if (std::filesystem::exists(run.model(), ec) || std::filesystem::exists(run.config(), ec))
    return DirectoryKind::run;
  if (std::filesystem::exists(sweep.spec(), ec) || std::filesystem::exists(sweep.trials(), ec))
    return DirectoryKind::sweep;
  if (std::filesystem::exists(comparison.table_md(), ec)) return DirectoryKind::comparison;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename() != kLockName) return DirectoryKind::other;
  return DirectoryKind::absent_or_empty;
}

void prepare_run_out(const std::filesystem::path& dir, bool replace) {
  const DirectoryKind kind = directory_kind(dir);
  if (kind == DirectoryKind::absent_or_empty) return;
  if (!replace) {
    const std::string ways =
        kind == DirectoryKind::interrupted_run
            ? "continue it with emnist train --resume " + dir.string() +
                  ", choose another --out, or add --force to start over there"
            : "choose another --out, or add --force to replace " +
                  std::string(kind == DirectoryKind::run ? "the run" : "the engine's files there");
    throw UserError("--out " + dir.string() + ": holds " + describe(kind) + "; " + ways);
  }
  if (kind == DirectoryKind::sweep || kind == DirectoryKind::comparison)
    throw UserError("--out " + dir.string() + ": holds " + describe(kind) +
                    ", which --force does not replace; choose another --out");
  std::error_code ec;
  for (const auto& path : RunFiles(dir).all()) std::filesystem::remove_all(path, ec);
}

DirectoryLock::DirectoryLock(const std::filesystem::path& dir, const std::string& what) {
  const std::filesystem::path path = dir / kLockName;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) io_fail(path, "cannot create the lock file of " + what, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    throw UserError(dir.string() + ": " + what + " in use by another emnist process" +
                    (n > 0 ? " (pid " + std::string(holder, static_cast<size_t>(n)) + ")" : "") +
                    "; wait for it to finish, or choose another directory");
  }
  // The pid serves only a second process's message; the lock holds without it.
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) return;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

void remove_stale_temporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || !entry.is_regular_file(ec)) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      std::filesystem::remove(entry.path(), ec);
  }
}

std::filesystem::path create_run_dir(const std::filesystem::path& out,
                                     const std::filesystem::path& runs_root,
                                     const std::string& config_stem) {
  std::filesystem::path dir = out;
  if (dir.empty()) {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    const std::string base = (config_stem.empty() ? "run" : config_stem) + "-" + stamp;
    dir = runs_root / base;
    for (int n = 2; std::filesystem::exists(dir); ++n)
      dir = runs_root / (base + "-" + std::to_string(n));
  }
  create_writable_dir(dir, "the run directory", "choose another with --out");
  return dir;
}

void create_writable_dir(const std::filesystem::path& dir, const std::string& what,
                         const std::string& advice) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw UserError(dir.string() + ": cannot create " + what + ": " +
                    (ec ? ec.message() : std::string("a file of that name exists")) + " (" +
                    advice + ")");
  write_file_atomic(dir / ".writable", "");
  std::filesystem::remove(dir / ".writable", ec);
}

}  // namespace emnist
