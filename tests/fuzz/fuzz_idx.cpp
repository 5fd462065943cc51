// libFuzzer target: read_idx_images and read_idx_labels (and through them read_file_bytes, gzip
// included) on arbitrary bytes. UserError is the expected answer to bad input; anything else
// crashes.
#include <cstddef>
#include <cstdint>

#include "emnist/data.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto read_both = [](const std::filesystem::path& path) {
    emnist_fuzz::expect_no_crash([&] { (void)emnist::read_idx_images(path); });
    emnist_fuzz::expect_no_crash([&] { (void)emnist::read_idx_labels(path); });
  };
  const auto path = emnist_fuzz::input_file("idx");
  emnist_fuzz::write_input(path, data, size);
  read_both(path);
  // The same bytes with a leading gzip magic knocked off: the raw (gzip-less) path, even for
  // inputs the fuzzer grew from gzip seeds.
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    const auto raw = emnist_fuzz::input_file("idx", ".raw");
    emnist_fuzz::write_input(raw, data + 2, size - 2);
    read_both(raw);
  }
  return 0;
}
