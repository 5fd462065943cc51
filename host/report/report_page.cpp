#include "emnist/report_page.hpp"
#include "emnist/run_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace emnist {
namespace {

constexpr const char* kInstallHint =
    "install it (Debian: apt-get install python3-matplotlib) or set EMNIST_PYTHON to a python3 "
    "that has matplotlib";

struct ChildResult {
  int status = -1;     // exit code, or 128 + signal
  std::string output;  // stdout and stderr together, when captured
};

// posix_spawnp with an argument vector: no shell, so run directories with quotes or spaces are
// safe.
ChildResult run_child(const std::vector<std::string>& args, bool capture) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  if (capture && ::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture) ::close(pipe_fds[1]);

  ChildResult result;
  if (rc != 0) {
    if (capture) ::close(pipe_fds[0]);
    result.status = 127;  // as a shell reports a command it cannot run
    result.output = fmt::format("{}: {}", args[0], std::strerror(rc));
    return result;
  }
  if (capture) {
    std::array<char, 4096> buffer{};
    for (;;) {
      const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
      if (n > 0) {
        result.output.append(buffer.data(), static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool can_plot(const std::string& python) {
  return run_child({python, "-c", "import matplotlib, numpy"}, false).status == 0;
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

}  // namespace

std::string find_plot_python() {
  if (const char* env = std::getenv("EMNIST_PYTHON"); env != nullptr && *env != '\0') {
    if (can_plot(env)) return env;
    throw PlotDependencyMissing(fmt::format(
        "EMNIST_PYTHON={} cannot import matplotlib for the plots; {}", env, kInstallHint));
  }
  // Debian's python3-matplotlib belongs to /usr/bin/python3; a python3 earlier on PATH (pyenv, a
  // virtual environment) often lacks it, so the system one is asked first.
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (can_plot(candidate)) return candidate;
  throw PlotDependencyMissing(fmt::format(
      "no Python with matplotlib for the plots (neither /usr/bin/python3 nor python3 on "
      "PATH can import it); {}",
      kInstallHint));
}

std::filesystem::path find_plot_script() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("EMNIST_PLOT_SCRIPT"); env != nullptr && *env != '\0')
    candidates.emplace_back(env);
#ifdef EMNIST_SOURCE_DIR
  candidates.push_back(std::filesystem::path(EMNIST_SOURCE_DIR) / "share" / "emnist" /
                       "plot_run.py");
#endif
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // An installed copy (prefix/bin/emnist, prefix/share/emnist) and a build folder in the
    // source tree (build/emnist, share/emnist) look alike from the binary.
    candidates.push_back(exe.parent_path().parent_path() / "share" / "emnist" / "plot_run.py");
  }
  for (const auto& path : candidates)
    if (std::filesystem::is_regular_file(path)) return path;
  throw UserError(fmt::format(
      "the plotting script share/emnist/plot_run.py was not found (looked in {}); set "
      "EMNIST_PLOT_SCRIPT "
      "to its path",
      candidates.empty() ? std::string("no place") : candidates.front().parent_path().string()));
}

void make_report(const std::filesystem::path& run_dir) {
  const RunFiles files(run_dir);
  if (!std::filesystem::is_regular_file(files.config()))
    throw UserError(fmt::format("{}: not found; is {} a run directory?", files.config().string(),
                                run_dir.string()));
  const std::string python = find_plot_python();
  const std::filesystem::path script = find_plot_script();
  spdlog::debug("report: {} {} {}", python, script.string(), run_dir.string());
  const ChildResult r = run_child({python, script.string(), run_dir.string()}, true);
  if (r.status == 0) {
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) spdlog::debug("plot_run.py: {}", line);
    spdlog::info("report {}", files.page().string());
    return;
  }
  // The script's own exit code 2 means the run directory's files are wrong: one line, the user's.
  if (r.status == 2) throw UserError(last_line(r.output));
  throw std::runtime_error(
      fmt::format("{} failed (exit code {}):\n{}", script.string(), r.status, r.output));
}

void run_plot_tool(const std::string& script, const std::vector<std::string>& args) {
  const std::string python = find_plot_python();
  const std::filesystem::path path = find_plot_script().parent_path() / script;
  if (!std::filesystem::is_regular_file(path))
    throw UserError(fmt::format("the plotting script {} was not found", path.string()));
  std::vector<std::string> argv{python, path.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const ChildResult r = run_child(argv, true);
  if (r.status == 0) {
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) spdlog::debug("{}: {}", script, line);
    return;
  }
  if (r.status == 2) throw UserError(last_line(r.output));
  throw std::runtime_error(
      fmt::format("{} failed (exit code {}):\n{}", path.string(), r.status, r.output));
}

}  // namespace emnist
