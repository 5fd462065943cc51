// libFuzzer target: read_checkpoint on an arbitrary checkpoint file (safetensors plus the metadata
// that resuming needs). UserError is the expected answer to bad input; anything else crashes.
#include <cstddef>
#include <cstdint>

#include "emnist/checkpoint.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path run_dir = [] {
    const auto dir = emnist_fuzz::input_file("checkpoint");
    std::filesystem::create_directories(emnist::checkpoint_file(dir).parent_path());
    return dir;
  }();
  emnist_fuzz::write_input(emnist::checkpoint_file(run_dir), data, size);
  emnist_fuzz::expect_no_crash([&] { (void)emnist::read_checkpoint(run_dir); });
  return 0;
}
