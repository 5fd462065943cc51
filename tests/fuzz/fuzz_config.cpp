// libFuzzer target: parse_config and validate on arbitrary text. UserError is the expected answer
// to bad input; anything else crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emnist/config.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  emnist_fuzz::expect_no_crash([&] {
    const emnist::Config config = emnist::parse_config(text, "fuzz.toml");
    emnist::validate(config);
  });
  return 0;
}
