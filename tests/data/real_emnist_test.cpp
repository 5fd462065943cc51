// Every file of the shared EMNIST folder, read and counted. The 28 MB ByMerge images file is read
// twice in all (raw and through load_dataset), in one test case.
#include <catch2/catch.hpp>

#include <algorithm>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;

namespace {

std::filesystem::path emnist_dir() { return emnist::test::require_shared() / "data" / "emnist"; }

emnist::DataConfig config_for(const std::string& dataset) {
  emnist::DataConfig config;
  config.dataset = dataset;
  config.dir = emnist_dir().string();
  return config;
}

std::vector<int64_t> per_class(const emnist::ImageSet& set, int classes) {
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (int32_t label : set.labels) ++counts.at(static_cast<size_t>(label));
  return counts;
}

}  // namespace

TEST_CASE("real ByMerge test split: 116,323 upright images in 47 classes", "[data][real]") {
  const auto dir = emnist_dir();
  const auto raw = emnist::read_idx_images(dir / "emnist-bymerge-test-images-idx3-ubyte.gz");
  const auto dataset = emnist::load_dataset(config_for("emnist-bymerge"));
  REQUIRE(dataset.has_test);
  CHECK_FALSE(dataset.has_train);
  CHECK(dataset.num_classes() == 47);
  CHECK(dataset.class_names[10] == "A");
  CHECK(dataset.class_names[46] == "t");
  REQUIRE(dataset.test.count == 116323);
  REQUIRE(dataset.test.rows == 28);
  REQUIRE(dataset.test.cols == 28);
  const auto counts = per_class(dataset.test, 47);
  CHECK(*std::min_element(counts.begin(), counts.end()) == 415);
  CHECK(*std::max_element(counts.begin(), counts.end()) == 6400);

  // Upright is the stored image transposed, for the first image and the last.
  REQUIRE(raw.count == 116323);
  for (const int64_t i : {int64_t{0}, raw.count - 1}) {
    const uint8_t* stored = raw.pixels.data() + i * 784;
    const uint8_t* upright = dataset.test.image(i);
    bool same = true;
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) same = same && upright[r * 28 + c] == stored[c * 28 + r];
    CHECK(same);
  }
  CHECK(!std::equal(raw.pixels.begin(), raw.pixels.begin() + 784, dataset.test.image(0)));
}

TEST_CASE("real EMNIST MNIST test split: 10,000 digits", "[data][real]") {
  const auto dataset = emnist::load_dataset(config_for("emnist-mnist"));
  REQUIRE(dataset.test.count == 10000);
  CHECK(dataset.num_classes() == 10);
  const auto counts = per_class(dataset.test, 10);
  CHECK(std::all_of(counts.begin(), counts.end(), [](int64_t n) { return n > 800; }));
}

TEST_CASE("real Letters test split: 800 of A..R, 400 of S, none of T..Z", "[data][real]") {
  const auto dataset = emnist::load_dataset(config_for("emnist-letters"));
  REQUIRE(dataset.test.count == 14800);
  REQUIRE(dataset.num_classes() == 26);
  CHECK(dataset.class_names.front() == "Aa");
  const auto counts = per_class(dataset.test, 26);
  for (int c = 0; c < 26; ++c) {
    INFO("class " << dataset.class_names[static_cast<size_t>(c)]);
    CHECK(counts[static_cast<size_t>(c)] == (c < 18 ? 800 : c == 18 ? 400 : 0));
  }
}

TEST_CASE("real Balanced labels: counted, but no images to load", "[data][real]") {
  const auto files =
      emnist::locate_dataset("emnist-balanced", emnist_dir(), emnist::DataFormat::automatic);
  CHECK(files.labels_only());
  const auto summary = emnist::summarize_dataset(files);
  REQUIRE(summary.size() == 2);
  CHECK(summary[0].split == "train");
  CHECK(summary[0].count == 112800);
  CHECK(summary[1].count == 18800);
  for (const auto& split : summary) {
    CHECK(split.labels_only);
    REQUIRE(split.per_class.size() == 47);
    const int64_t each = split.split == "train" ? 2400 : 400;
    CHECK(std::all_of(split.per_class.begin(), split.per_class.end(),
                      [&](int64_t n) { return n == each; }));
  }
  REQUIRE_THROWS_WITH(
      emnist::load_dataset(config_for("emnist-balanced")),
      Contains("no EMNIST Balanced images in") && Contains("(only its label files are there)"));
}

TEST_CASE("scanning the real folder finds its four datasets", "[data][real]") {
  const auto found = emnist::scan_data_dir(emnist_dir());
  std::vector<std::string> names;
  for (const auto& files : found) names.push_back(files.name);
  CHECK(names == std::vector<std::string>{"emnist-balanced", "emnist-bymerge", "emnist-letters",
                                          "emnist-mnist"});
  for (const auto& files : found) {
    CHECK(files.format == emnist::DataFormat::idx);
    CHECK_FALSE(files.mapping.empty());
    CHECK(files.train_images.empty());
    CHECK(files.labels_only() == (files.name == "emnist-balanced"));
  }
}
