#include "host/train_fixtures.hpp"

#include <fstream>
#include <numeric>
#include <stdexcept>

#include "emnist/element_math.hpp"

namespace emnist::train_test {

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
      const int r0 = (label / 4) * 7, c0 = (label % 4) * 7;
      for (int r = r0; r < r0 + 7; ++r)
        for (int c = c0; c < c0 + 7; ++c) image[r * 28 + c] = 255;
    }
  }
  return set;
}

Subset whole(const ImageSet& set) {
  Subset s;
  s.source = &set;
  s.indices.resize(static_cast<size_t>(set.count));
  std::iota(s.indices.begin(), s.indices.end(), int64_t{0});
  return s;
}

ModelConfig small_mlp() {
  ModelConfig c;
  c.kind = "mlp";
  c.hidden = {64, 32, 16};
  c.dropout = 0.0;
  return c;
}

ModelConfig small_cnn() {
  ModelConfig c;
  c.kind = "cnn";
  c.conv = {{false, 8}, {true, 0}, {false, 16}, {true, 0}};
  c.hidden = {32};
  c.dropout = 0.0;
  return c;
}

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

Config synthetic_idx_run(const std::filesystem::path& dir, int64_t train, int64_t test,
                         uint64_t seed) {
  write_idx(dir / "train-images", dir / "train-labels", synthetic_images(train, 16, seed, true));
  write_idx(dir / "test-images", dir / "test-labels", synthetic_images(test, 16, seed + 1, true));
  Config c;
  c.data.dataset = "idx";
  c.data.train_images = (dir / "train-images").string();
  c.data.train_labels = (dir / "train-labels").string();
  c.data.test_images = (dir / "test-images").string();
  c.data.test_labels = (dir / "test-labels").string();
  c.data.val_fraction = 0.1;
  c.model = small_mlp();
  c.model.dropout = 0.1;
  c.train.epochs = 3;
  c.train.batch_size = 32;
  c.train.lr = 3e-3;
  c.train.log_every = 5;
  return c;
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

CountingBackend::CountingBackend() : inner_(make_cpu_backend()) {}

}  // namespace emnist::train_test
