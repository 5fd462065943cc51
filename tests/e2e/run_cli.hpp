#pragma once
// The end-to-end tests' small training setup and their way of running the CLI on it.
#include <filesystem>
#include <string>

#include "support/support.hpp"

namespace emnist::e2e {

// 576 training images (640 less a 10% validation part), batch 32: 18 steps an epoch, 3 epochs.
// Dropout and batch norm on, so the random state and the running statistics must both resume.
constexpr int kStepsPerEpoch = 18;

// Writes the setup's data and its config file into `dir`; returns the config file.
std::filesystem::path write_setup(const test::TempDir& dir);

// A temporary folder with the setup written into it, and where its run goes.
struct Setup {
  explicit Setup(const std::string& tag) : dir(tag) {}
  test::TempDir dir;
  std::filesystem::path config = write_setup(dir);
  std::filesystem::path run = dir / "run";
};

// The CLI with a fault (EMNIST_FAULT, or none), without plots (no Python needed, and faster).
test::CommandResult cli(const std::string& args, const std::string& fault = "");
test::CommandResult train(const std::filesystem::path& config, const std::filesystem::path& run,
                          const std::string& fault = "");
test::CommandResult resume(const std::filesystem::path& run, const std::string& more = "",
                           const std::string& fault = "");

// Trains the setup's run until SIGINT stops it after optimizer step `step` (REQUIREd).
void train_until_interrupted(const Setup& setup, int64_t step);

// CHECKs that the command succeeded, or that it stopped with exit code 2 saying `message`; the
// command's output goes with a failure.
void check_succeeded(const test::CommandResult& r);
void check_refused(const test::CommandResult& r, const std::string& message);

}  // namespace emnist::e2e
