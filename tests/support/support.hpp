#pragma once
// What every test file needs beyond Catch2: the shared data folder, a way to report "skipped",
// scratch directories, and running the `emnist` command line.
#include <filesystem>
#include <optional>
#include <string>

namespace emnist::test {

// The shared folder (EMNIST_SHARED at run time, else the one CMake resolved beside the source
// tree), if it exists. Absent under CI=true is a test failure, not a skip.
std::optional<std::filesystem::path> shared_dir();
// The shared folder or, when absent, skip (exit 77) or fail under CI=true.
std::filesystem::path require_shared();
// Ends this test process with ctest's skip code 77 after saying why. Each discovered test case runs
// in its own process, so this skips exactly one test case.
[[noreturn]] void skip(const std::string& why);
bool in_ci();

// A fresh empty directory under the system temp folder, removed when this object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "emnist-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the built `emnist` binary with the given arguments (a shell-quoted string).
// In `cwd` when given (the binary's own path stays absolute).
CommandResult run_cli(const std::string& args, const std::filesystem::path& cwd = {});
CommandResult run_command(const std::string& command_line);

void write_file(const std::filesystem::path& path, const std::string& bytes);
std::string read_text(const std::filesystem::path& path);
// The peak resident memory (KiB) of `command` run as one process (sh -c 'exec ...'), and its exit
// code: wait4's own rusage of that process, children of the test excluded.
struct PeakMemory {
  int exit_code = -1;
  int64_t peak_kib = 0;
};
PeakMemory measure_peak_memory(const std::string& command);
// True in a build under AddressSanitizer or ThreadSanitizer, whose allocators distort memory use.
bool under_sanitizer();

// --set arguments of tiny networks for the end-to-end tests.
inline constexpr const char* kTinyCnnSets =
    "--set model.kind=cnn --set 'model.conv=[8, 8, \"pool\", 16, \"pool\"]' --set "
    "'model.hidden=[32]'";
inline constexpr const char* kTinyResnetSets =
    "--set model.kind=resnet --set model.stem=8 --set 'model.stages=[8, 16]' --set "
    "'model.blocks=[1, 1]' --set 'model.strides=[1, 2]' --set 'model.hidden=[]'";
// A finished run in `out` of configs/smoke.toml's tiny MLP (or what `sets` makes of it) on `limit`
// images of the shared ByMerge corpus, one epoch, no plots: seconds. std::runtime_error with the
// command's output when it fails; skips without the shared folder (require_shared).
std::filesystem::path train_smoke_run(const std::filesystem::path& out,
                                      const std::string& sets = "", int limit = 1500);

// gzip-compresses bytes (zlib), for writing test fixtures.
std::string gzip(const std::string& bytes);

}  // namespace emnist::test
