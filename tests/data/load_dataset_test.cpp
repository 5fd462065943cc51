// load_dataset on small files: class mapping, orientation, pooling, and every problem between
// files.
#include <catch2/catch.hpp>

#include "data/data_fixtures.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::test::write_file;

namespace {

emnist::DataConfig config_for(const std::string& dataset, const std::filesystem::path& dir) {
  emnist::DataConfig config;
  config.dataset = dataset;
  config.dir = dir.string();
  return config;
}

// Upright image i (rows x cols) against the stored pattern, which is its transpose.
bool upright_matches_stored(const emnist::ImageSet& set, int64_t i, uint32_t stored_rows,
                            uint32_t stored_cols) {
  const auto stored =
      emnist::test::pattern_pixels(static_cast<uint32_t>(i) + 1, stored_rows, stored_cols);
  const uint8_t* raw = stored.data() + i * stored_rows * stored_cols;
  for (int r = 0; r < set.rows; ++r)
    for (int c = 0; c < set.cols; ++c)
      if (set.image(i)[r * set.cols + c] != raw[c * stored_cols + r]) return false;
  return true;
}

}  // namespace

TEST_CASE("transpose_images turns each image, rows and cols swapped", "[data][load]") {
  emnist::RawImages images;
  images.count = 2;
  images.rows = 2;
  images.cols = 3;
  images.pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  emnist::transpose_images(images);
  CHECK(images.rows == 3);
  CHECK(images.cols == 2);
  CHECK(images.pixels == std::vector<uint8_t>{1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12});
}

TEST_CASE("load_dataset maps labels through the mapping and turns EMNIST upright", "[data][load]") {
  emnist::test::TempDir dir;
  // Letters: labels 1..26 in the files, classes 0..25; non-square images show the transpose.
  write_file(dir / "emnist-letters-mapping.txt", "1 65 97\n2 66 98\n3 67 99\n");
  emnist::test::write_emnist_idx(dir.path(), "emnist-letters", "train", 3, 4, {1, 3, 2, 3});
  emnist::test::write_emnist_idx(dir.path(), "emnist-letters", "test", 3, 4, {2});

  const auto dataset = emnist::load_dataset(config_for("emnist-letters", dir.path()));
  CHECK(dataset.name == "emnist-letters");
  CHECK(dataset.class_names == std::vector<std::string>{"Aa", "Bb", "Cc"});
  REQUIRE(dataset.has_train);
  REQUIRE(dataset.has_test);
  CHECK(dataset.train.count == 4);
  CHECK(dataset.train.rows == 4);
  CHECK(dataset.train.cols == 3);
  CHECK(dataset.train.labels == std::vector<int32_t>{0, 2, 1, 2});
  CHECK(dataset.test.labels == std::vector<int32_t>{1});
  for (int64_t i = 0; i < 4; ++i) CHECK(upright_matches_stored(dataset.train, i, 3, 4));
  CHECK(upright_matches_stored(dataset.test, 0, 3, 4));
}

TEST_CASE("load_dataset keeps MNIST and plain IDX as stored", "[data][load]") {
  emnist::test::TempDir dir;
  const auto pixels = emnist::test::pattern_pixels(2, 3, 4);
  write_file(dir / "train-images-idx3-ubyte.gz",
             emnist::test::gzip(emnist::test::idx_images(2, 3, 4, pixels)));
  write_file(dir / "train-labels-idx1-ubyte", emnist::test::idx_labels({9, 0}));

  auto mnist = emnist::load_dataset(config_for("mnist", dir.path()));
  CHECK(mnist.num_classes() == 10);
  CHECK(mnist.class_names[3] == "3");
  CHECK(mnist.has_train);
  CHECK_FALSE(mnist.has_test);
  CHECK(mnist.train.rows == 3);
  CHECK(mnist.train.pixels == pixels);
  CHECK(mnist.train.labels == std::vector<int32_t>{9, 0});

  const auto fashion = emnist::load_dataset(config_for("fashion-mnist", dir.path()));
  CHECK(fashion.class_names.front() == "T-shirt/top");
  CHECK(fashion.class_names.back() == "Ankle boot");

  emnist::DataConfig idx;
  idx.dataset = "idx";
  idx.test_images = (dir / "train-images-idx3-ubyte.gz").string();
  idx.test_labels = (dir / "train-labels-idx1-ubyte").string();
  auto plain = emnist::load_dataset(idx);
  CHECK_FALSE(plain.has_train);
  CHECK(plain.test.pixels == pixels);
  CHECK(plain.class_names ==
        std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});

  write_file(dir / "map.txt", "9 57\n0 48\n");
  idx.mapping = (dir / "map.txt").string();
  plain = emnist::load_dataset(idx);
  CHECK(plain.class_names == std::vector<std::string>{"9", "0"});
  CHECK(plain.test.labels == std::vector<int32_t>{0, 1});
}

TEST_CASE("load_dataset reads the Kaggle CSV form and turns it upright", "[data][load]") {
  emnist::test::TempDir dir;
  const auto pixels = emnist::test::pattern_pixels(2, 28, 28);
  write_file(dir / "emnist-mnist-test.csv",
             emnist::test::csv_line(4, pixels.data(), 784) +
                 emnist::test::csv_line(7, pixels.data() + 784, 784));
  write_file(dir / "emnist-mnist-mapping.txt", emnist::test::digit_mapping(10));
  const auto dataset = emnist::load_dataset(config_for("emnist-mnist", dir.path()));
  CHECK(dataset.has_test);
  CHECK_FALSE(dataset.has_train);
  CHECK(dataset.test.labels == std::vector<int32_t>{4, 7});
  CHECK(upright_matches_stored(dataset.test, 1, 28, 28));
}

TEST_CASE("load_dataset with holdout pools train then test", "[data][load]") {
  emnist::test::TempDir dir;
  write_file(dir / "emnist-digits-mapping.txt", emnist::test::digit_mapping(10));
  emnist::test::write_emnist_idx(dir.path(), "emnist-digits", "train", 2, 2, {1, 2, 3});
  emnist::test::write_emnist_idx(dir.path(), "emnist-digits", "test", 2, 2, {8, 9});
  auto config = config_for("emnist-digits", dir.path());
  config.split = emnist::SplitKind::holdout;
  const auto dataset = emnist::load_dataset(config);
  CHECK(dataset.has_train);
  CHECK_FALSE(dataset.has_test);
  CHECK(dataset.test.count == 0);
  CHECK(dataset.train.count == 5);
  CHECK(dataset.train.labels == std::vector<int32_t>{1, 2, 3, 8, 9});
  CHECK(dataset.train.pixels.size() == 5 * 4);
}

TEST_CASE("load_dataset says what to put where when there are no images", "[data][load][errors]") {
  emnist::test::TempDir dir;
  REQUIRE_THROWS_WITH(
      emnist::load_dataset(config_for("emnist-balanced", dir.path())),
      Contains("no EMNIST Balanced images in " + dir.path().string() +
               ": put emnist-balanced-{train,test}-{images-idx3,labels-idx1}-ubyte.gz (official "
               "NIST gzip IDX) or emnist-balanced-{train,test}.csv (Kaggle) there") &&
          Contains("or point --data at the folder that holds them; tools/fetch-emnist.sh"));

  write_file(dir / "emnist-balanced-test-labels-idx1-ubyte.gz", "x");
  REQUIRE_THROWS_WITH(emnist::load_dataset(config_for("emnist-balanced", dir.path())),
                      Contains("(only its label files are there)"));
  REQUIRE_THROWS_WITH(
      emnist::load_dataset(config_for("emnist-byclass", dir / "nowhere")),
      Contains("no EMNIST ByClass images in") && Contains("nowhere (no such folder)"));
  REQUIRE_THROWS_WITH(emnist::load_dataset(config_for("fashion-mnist", dir.path())),
                      Contains("no Fashion-MNIST images in") && Contains("dataset-fashion-mnist"));
  emnist::DataConfig idx;
  idx.dataset = "idx";
  REQUIRE_THROWS_WITH(emnist::load_dataset(idx), Contains("dataset idx: no images given"));
}

TEST_CASE("load_dataset rejects files that do not belong together", "[data][load][errors]") {
  emnist::test::TempDir dir;
  const auto config = config_for("emnist-digits", dir.path());
  const auto images = dir / "emnist-digits-train-images-idx3-ubyte.gz";
  const auto labels = dir / "emnist-digits-train-labels-idx1-ubyte.gz";
  write_file(images, emnist::test::gzip(
                         emnist::test::idx_images(3, 2, 2, emnist::test::pattern_pixels(3, 2, 2))));

  SECTION("images without labels") {
    REQUIRE_THROWS_WITH(
        emnist::load_dataset(config),
        Contains(images.string() + ": found, but not its labels file "
                                   "emnist-digits-train-labels-idx1-ubyte[.gz] beside it"));
  }
  SECTION("count mismatch") {
    write_file(labels, emnist::test::gzip(emnist::test::idx_labels({1, 2})));
    write_file(dir / "emnist-digits-mapping.txt", emnist::test::digit_mapping(10));
    REQUIRE_THROWS_WITH(emnist::load_dataset(config),
                        Contains(images.string() + ": holds 3 images but its labels file " +
                                 labels.string() + " holds 2 labels"));
  }
  SECTION("label outside the mapping") {
    write_file(labels, emnist::test::gzip(emnist::test::idx_labels({1, 10, 2})));
    write_file(dir / "emnist-digits-mapping.txt", emnist::test::digit_mapping(10));
    REQUIRE_THROWS_WITH(
        emnist::load_dataset(config),
        Contains(labels.string() + ": label 10 of item 2 is not a class of the mapping " +
                 (dir / "emnist-digits-mapping.txt").string() + " (10 classes)"));
  }
  SECTION("no mapping") {
    write_file(labels, emnist::test::gzip(emnist::test::idx_labels({1, 1, 2})));
    REQUIRE_THROWS_WITH(emnist::load_dataset(config),
                        Contains((dir / "emnist-digits-mapping.txt").string() + ": no such file"));
  }
  SECTION("train and test of different sizes") {
    write_file(labels, emnist::test::gzip(emnist::test::idx_labels({1, 1, 2})));
    write_file(dir / "emnist-digits-mapping.txt", emnist::test::digit_mapping(10));
    emnist::test::write_emnist_idx(dir.path(), "emnist-digits", "test", 3, 3, {1});
    REQUIRE_THROWS_WITH(emnist::load_dataset(config),
                        Contains("emnist-digits-test-images-idx3-ubyte.gz: images of 3x3 but the "
                                 "train images") &&
                            Contains("are 2x2"));
  }
  SECTION("a corrupt file") {
    write_file(labels, "\x1f\x8b garbage");
    write_file(dir / "emnist-digits-mapping.txt", emnist::test::digit_mapping(10));
    REQUIRE_THROWS_WITH(emnist::load_dataset(config), Contains(labels.string() + ": corrupt gzip"));
  }
}

TEST_CASE("load_dataset checks MNIST labels against its ten classes", "[data][load][errors]") {
  emnist::test::TempDir dir;
  write_file(dir / "t10k-images-idx3-ubyte", emnist::test::idx_images(1, 1, 1, {0}));
  write_file(dir / "t10k-labels-idx1-ubyte", emnist::test::idx_labels({10}));
  REQUIRE_THROWS_WITH(emnist::load_dataset(config_for("mnist", dir.path())),
                      Contains("t10k-labels-idx1-ubyte: label 10 of item 1 is not a class of "
                               "MNIST's 10 digit classes"));
}

TEST_CASE("summarize_dataset counts images per class, label-only sets too", "[data][load]") {
  emnist::test::TempDir dir;
  write_file(dir / "emnist-letters-mapping.txt", "1 65 97\n2 66 98\n3 67 99\n");
  emnist::test::write_emnist_idx(dir.path(), "emnist-letters", "test", 2, 2, {1, 3, 3});
  write_file(dir / "emnist-letters-train-labels-idx1-ubyte",
             emnist::test::idx_labels({2, 2, 1, 2}));
  const auto summary = emnist::summarize_dataset(
      emnist::locate_dataset("emnist-letters", dir.path(), emnist::DataFormat::automatic));
  REQUIRE(summary.size() == 2);
  CHECK(summary[0].split == "train");
  CHECK(summary[0].labels_only);
  CHECK(summary[0].count == 4);
  CHECK(summary[0].per_class == std::vector<int64_t>{1, 3, 0});
  CHECK(summary[1].split == "test");
  CHECK_FALSE(summary[1].labels_only);
  CHECK(summary[1].count == 3);
  CHECK(summary[1].per_class == std::vector<int64_t>{1, 0, 2});
}
