// libFuzzer target: decode_image (PNG, JPEG, PGM) on arbitrary bytes, then NIST's preprocessing
// of whatever decoded. UserError is the expected answer to bad input; anything else crashes.
// Limits of 512x512 keep each input quick; the decoders check sizes the same way at any limit.
#include <cstddef>
#include <cstdint>
#include <span>

#include "emnist/image_input.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  emnist_fuzz::expect_no_crash([&] {
    emnist::ImageLimits limits;
    limits.max_width = limits.max_height = 512;
    const emnist::GreyImage image =
        emnist::decode_image(std::span<const uint8_t>(data, size), "fuzz.img", limits);
    (void)emnist::emnist_form(image);
  });
  return 0;
}
