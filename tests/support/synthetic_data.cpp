#include "support/synthetic_data.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

#include "emnist/element_math.hpp"

namespace emnist::test {
namespace {

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

math::AugmentSpec every_augmentation(uint64_t seed) {
  math::AugmentSpec spec;
  spec.tan_half_rotation = 0.2f;
  spec.scale = 0.1f;
  spec.shear = 0.3f;
  spec.translate = 2.0f;
  spec.elastic = 2.0f;
  spec.seed = seed;
  return spec;
}

ImageSet synthetic_images(int64_t count, int classes, uint64_t seed, bool learnable) {
  ImageSet set;
  set.count = count;
  set.rows = set.cols = 28;
  set.pixels.resize(static_cast<size_t>(count * 28 * 28));
  set.labels.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(i % classes);
    set.labels[static_cast<size_t>(i)] = label;
    uint8_t* image = set.pixels.data() + i * 28 * 28;
    for (int p = 0; p < 28 * 28; ++p) {
      const float u =
          math::uniform01(seed, 1000 + static_cast<uint64_t>(i), static_cast<uint64_t>(p));
      image[p] = static_cast<uint8_t>(learnable ? u * 96.0f : u * 255.0f);
    }
    if (learnable) {
      const int r0 = (label / 4 % 4) * 7, c0 = (label % 4) * 7;
      for (int r = r0; r < r0 + 7; ++r)
        for (int c = c0; c < c0 + 7; ++c) image[r * 28 + c] = 255;
    }
  }
  return set;
}

void write_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
               const ImageSet& set) {
  std::string img;
  put_be32(img, 0x00000803);
  put_be32(img, static_cast<uint32_t>(set.count));
  put_be32(img, static_cast<uint32_t>(set.rows));
  put_be32(img, static_cast<uint32_t>(set.cols));
  img.append(reinterpret_cast<const char*>(set.pixels.data()), set.pixels.size());
  write_bytes(images, img);
  std::string lab;
  put_be32(lab, 0x00000801);
  put_be32(lab, static_cast<uint32_t>(set.count));
  for (int32_t l : set.labels) lab += static_cast<char>(l);
  write_bytes(labels, lab);
}

DataConfig write_synthetic_idx(const std::filesystem::path& dir, int64_t train, int64_t test,
                               uint64_t seed) {
  write_idx(dir / "train-images", dir / "train-labels", synthetic_images(train, 16, seed));
  write_idx(dir / "test-images", dir / "test-labels", synthetic_images(test, 16, seed + 1));
  DataConfig d;
  d.dataset = "idx";
  d.train_images = (dir / "train-images").string();
  d.train_labels = (dir / "train-labels").string();
  d.test_images = (dir / "test-images").string();
  d.test_labels = (dir / "test-labels").string();
  d.val_fraction = 0.1;
  return d;
}

}  // namespace emnist::test
