// libFuzzer target: read_kaggle_csv on arbitrary bytes. UserError is the expected answer to bad
// input; anything else crashes.
#include <cstddef>
#include <cstdint>

#include "emnist/data.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = emnist_fuzz::input_file("csv", ".csv");
  emnist_fuzz::write_input(path, data, size);
  emnist_fuzz::expect_no_crash([&] { (void)emnist::read_kaggle_csv(path); });
  return 0;
}
