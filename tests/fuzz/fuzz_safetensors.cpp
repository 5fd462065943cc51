// libFuzzer target: read_safetensors on an arbitrary file. UserError is the expected answer to bad
// input; anything else crashes.
#include <cstddef>
#include <cstdint>

#include "emnist/safetensors.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = emnist_fuzz::input_file("safetensors", ".safetensors");
  emnist_fuzz::write_input(path, data, size);
  emnist_fuzz::expect_no_crash([&] { (void)emnist::read_safetensors(path); });
  return 0;
}
