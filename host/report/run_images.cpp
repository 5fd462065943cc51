#include "emnist/run_images.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"

namespace emnist {
namespace {

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xffu);
}

std::vector<int64_t> first_of(const Subset& subset, int64_t n) {
  const auto count = static_cast<size_t>(std::min(n, subset.size()));
  return {subset.indices.begin(), subset.indices.begin() + static_cast<std::ptrdiff_t>(count)};
}

}  // namespace

std::string idx3_bytes(const ImageSet& set, const std::vector<int64_t>& indices) {
  const auto size = static_cast<size_t>(set.image_size());
  std::string out;
  out.reserve(16 + indices.size() * size);
  put_be32(out, 0x00000803u);  // IDX magic: unsigned bytes, three dimensions
  put_be32(out, static_cast<uint32_t>(indices.size()));
  put_be32(out, static_cast<uint32_t>(set.rows));
  put_be32(out, static_cast<uint32_t>(set.cols));
  for (const int64_t i : indices) {
    if (i < 0 || i >= set.count)
      throw std::out_of_range(fmt::format("idx3_bytes: image {} of {}", i, set.count));
    out.append(reinterpret_cast<const char*>(set.image(i)), size);
  }
  return out;
}

void write_prediction_images(const std::filesystem::path& run_dir, const std::string& split,
                             const Subset& subset) {
  if (subset.size() == 0 || subset.source == nullptr) return;
  write_file_atomic(RunFiles(run_dir).prediction_images(split),
                    idx3_bytes(*subset.source, first_of(subset, kPredictionImages)));
}

void write_run_images(const std::filesystem::path& run_dir, const Splits& splits,
                      const std::vector<std::string>& class_names) {
  write_prediction_images(run_dir, "val", splits.val);
  write_prediction_images(run_dir, "test", splits.test);
  const Subset& train = splits.train;
  if (train.size() == 0 || train.source == nullptr) return;
  const std::vector<int64_t> picked = first_of(train, kSampleImages);
  std::string labels = "index,label\n";
  for (const int64_t i : picked) {
    const int32_t c = train.source->labels[static_cast<size_t>(i)];
    if (c < 0 || static_cast<size_t>(c) >= class_names.size())
      throw std::out_of_range(fmt::format("write_run_images: class {} has no name", c));
    labels += fmt::format("{},{}\n", i, csv_field(class_names[static_cast<size_t>(c)]));
  }
  // Images first: a reader that finds the labels finds their images.
  write_file_atomic(RunFiles(run_dir).sample_images(), idx3_bytes(*train.source, picked));
  write_file_atomic(RunFiles(run_dir).sample_labels(), labels);
}

}  // namespace emnist
