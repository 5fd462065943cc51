// gather_batch (a batch gathered from a split in backend memory) on the target against the shared
// formulas: math::pixel_value for a plain batch, math::augment_image through math::augment_draw
// for a training batch. Both are exact on every backend (each operation rounded on its own), so
// the comparison is bit for bit. A row outside the split is an error on the CPU and a poisoned
// sample (NaN pixels, label -1) on the CUDA backend, whose rows live on the device.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "emnist/element_math.hpp"
#include "ops/guarded.hpp"
#include "ops/op_target.hpp"
#include "ops/op_test_case.hpp"
#include "support/synthetic_data.hpp"

namespace emnist::test {
namespace {

constexpr int kSide = 28;
constexpr int64_t kPixels = kSide * kSide;

// A split of `count` noise images, labels 0..count-1, in the target's memory.
struct SplitOnTarget {
  std::vector<uint8_t> images;
  std::vector<int32_t> labels;
  Guarded<uint8_t> g_images;
  Guarded<int32_t> g_labels;

  static std::vector<uint8_t> noise(int64_t count) {
    std::vector<uint8_t> v(static_cast<size_t>(count * kPixels));
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<uint8_t>(math::random_bits(5, 91, i) >> 56);
    return v;
  }
  static std::vector<int32_t> iota(int64_t count) {
    std::vector<int32_t> v(static_cast<size_t>(count));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
    return v;
  }
  SplitOnTarget(Backend& mem, int64_t count)
      : images(noise(count)), labels(iota(count)), g_images(mem, images), g_labels(mem, labels) {}
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

OP_TEST_CASE("gather_batch: plain and augmented samples match the shared formulas bit for bit",
             "[gather][sanitize]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  Backend& mem = target.backend();
  const int64_t count = 9, n = 5;
  SplitOnTarget split(mem, count);
  const std::vector<int64_t> rows{8, 0, 3, 3, 7}, ids{108, 100, 103, 203, 107};
  Guarded<int64_t> g_rows(mem, rows), g_ids(mem, ids);

  for (const bool augmented : {false, true}) {
    CAPTURE(augmented);
    BatchAugment augment;
    augment.spec = every_augmentation(21);
    augment.epoch = 2;
    augment.ids = g_ids.data();
    augment.rows = augment.cols = kSide;
    std::vector<float> x_ref(static_cast<size_t>(n * kPixels));
    std::vector<int32_t> y_ref(static_cast<size_t>(n));
    for (int64_t b = 0; b < n; ++b) {
      const uint8_t* image = split.images.data() + rows[static_cast<size_t>(b)] * kPixels;
      float* out = x_ref.data() + b * kPixels;
      if (augmented) {
        const auto id = static_cast<uint64_t>(ids[static_cast<size_t>(b)]);
        math::augment_image(image, kSide, kSide, augment.spec,
                            math::augment_draw(augment.spec, augment.epoch, id), out);
      } else {
        for (int64_t p = 0; p < kPixels; ++p) out[p] = math::pixel_value(image[p]);
      }
      y_ref[static_cast<size_t>(b)] =
          split.labels[static_cast<size_t>(rows[static_cast<size_t>(b)])];
    }

    Guarded<float> gx(mem, x_ref.size());
    Guarded<int32_t> gy(mem, y_ref.size());
    target.run([&](Backend& dev) {
      dev.gather_batch(split.g_images.data(), split.g_labels.data(), count, g_rows.data(),
                       gx.tensor({n, 1, kSide, kSide}), gy.data(), augmented ? &augment : nullptr);
    });
    CHECK(same_bits(gx.read(), x_ref));
    CHECK(gy.read() == y_ref);
    gx.check_guards("gather_batch x");
    gy.check_guards("gather_batch y");
  }
}

OP_TEST_CASE("gather_batch: a row outside the split is refused or poisons its sample", "[gather]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  Backend& mem = target.backend();
  const int64_t count = 4, n = 3;
  SplitOnTarget split(mem, count);
  Guarded<int64_t> g_rows(mem, std::vector<int64_t>{1, count, 2});  // sample 1 outside
  Guarded<float> gx(mem, static_cast<size_t>(n * kPixels));
  Guarded<int32_t> gy(mem, static_cast<size_t>(n));
  const auto gather = [&] {
    target.run([&](Backend& dev) {
      dev.gather_batch(split.g_images.data(), split.g_labels.data(), count, g_rows.data(),
                       gx.tensor({n, 1, kSide, kSide}), gy.data(), nullptr);
    });
  };
  if (mem.device() == Device::cpu) {
    CHECK_THROWS_WITH(gather(), Catch::Contains("a row is outside [0, count)"));
    return;
  }
  gather();
  const std::vector<float> x = gx.read();
  const std::vector<int32_t> y = gy.read();
  int64_t nan_pixels = 0;
  for (int64_t p = 0; p < kPixels; ++p)
    nan_pixels += std::isnan(x[static_cast<size_t>(kPixels + p)]);
  CHECK(nan_pixels == kPixels);
  CHECK(y == std::vector<int32_t>{1, -1, 2});
  CHECK(x[0] == math::pixel_value(split.images[static_cast<size_t>(kPixels)]));  // sample 0: row 1
}

OP_TEST_CASE("gather_batch: an empty batch is refused in one line", "[gather]") {
  OpTarget& target = op_target();
  CAPTURE(target.name());
  Backend& mem = target.backend();
  SplitOnTarget split(mem, 2);
  Guarded<int64_t> g_rows(mem, std::vector<int64_t>{0});
  Guarded<float> gx(mem, static_cast<size_t>(kPixels));
  Guarded<int32_t> gy(mem, size_t{1});
  CHECK_THROWS_WITH(target.run([&](Backend& dev) {
    dev.gather_batch(split.g_images.data(), split.g_labels.data(), 2, g_rows.data(),
                     Tensor(gx.data(), {0, 1, kSide, kSide}, dev.device()), gy.data(), nullptr);
  }),
                    Catch::Contains("x holds no sample"));
}

}  // namespace emnist::test
