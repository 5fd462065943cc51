#pragma once
// Run directories and atomic files: every file is written to a temporary name in the same directory
// and renamed into place, so a crash never leaves a half-written file under the final name.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace emnist {

// Writes `bytes` to `path` atomically (temporary file, fsync, rename). UserError naming the path
// when the directory cannot be written (missing, not a directory, disk full). `midway`, when given,
// runs once half the bytes are in the temporary file: the fault-injection tests kill the process
// there.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes,
                       const std::function<void()>& midway = {});

// Creates `dir` (and its parents) and proves it writable with a test file, so that a run fails
// before its work rather than after. UserError "<dir>: cannot create <what>: <why> (<advice>)".
void create_writable_dir(const std::filesystem::path& dir, const std::string& what,
                         const std::string& advice);

// runs/<config stem>-<YYYYmmdd-HHMMSS>[-N] under `runs_root`, or exactly `out` when given. Creates
// it (and checks it is writable) before any work starts.
std::filesystem::path create_run_dir(const std::filesystem::path& out,
                                     const std::filesystem::path& runs_root,
                                     const std::string& config_stem);

}  // namespace emnist
