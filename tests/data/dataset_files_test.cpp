// Finding datasets by their official names: locate_dataset, dataset_files and scan_data_dir.
#include <catch2/catch.hpp>

#include "data/data_fixtures.hpp"
#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::locate_dataset;
using emnist::test::write_file;

TEST_CASE("locate_dataset finds the official IDX names, raw before gzip", "[data][locate]") {
  emnist::test::TempDir dir;
  emnist::test::write_emnist_idx(dir.path(), "emnist-digits", "train", 2, 2, {1, 2});
  write_file(dir / "emnist-digits-test-images-idx3-ubyte", "x");
  write_file(dir / "emnist-digits-test-images-idx3-ubyte.gz", "x");
  write_file(dir / "emnist-digits-mapping.txt", "0 48\n");

  const auto files = locate_dataset("emnist-digits", dir.path(), emnist::DataFormat::automatic);
  CHECK(files.name == "emnist-digits");
  CHECK(files.format == emnist::DataFormat::idx);
  CHECK(files.dir == dir.path());
  CHECK(files.train_images == dir / "emnist-digits-train-images-idx3-ubyte.gz");
  CHECK(files.train_labels == dir / "emnist-digits-train-labels-idx1-ubyte.gz");
  CHECK(files.test_images == dir / "emnist-digits-test-images-idx3-ubyte");
  CHECK(files.test_labels.empty());
  CHECK(files.mapping == dir / "emnist-digits-mapping.txt");
  CHECK(files.has_images());
  CHECK_FALSE(files.labels_only());

  const auto mnist = locate_dataset("mnist", dir.path(), emnist::DataFormat::automatic);
  CHECK_FALSE(mnist.has_images());
  CHECK(mnist.mapping.empty());
}

TEST_CASE("locate_dataset picks IDX when its images are there, else CSV", "[data][locate]") {
  emnist::test::TempDir dir;
  write_file(dir / "emnist-letters-train.csv", "1,0\n");
  write_file(dir / "emnist-letters-test.csv.gz", "x");
  write_file(dir / "emnist-letters-test-labels-idx1-ubyte.gz", "x");

  auto files = locate_dataset("emnist-letters", dir.path(), emnist::DataFormat::automatic);
  CHECK(files.format == emnist::DataFormat::csv);
  CHECK(files.train_images == dir / "emnist-letters-train.csv");
  CHECK(files.test_images == dir / "emnist-letters-test.csv.gz");
  CHECK(files.train_labels.empty());
  CHECK(files.test_labels.empty());

  files = locate_dataset("emnist-letters", dir.path(), emnist::DataFormat::idx);
  CHECK(files.format == emnist::DataFormat::idx);
  CHECK_FALSE(files.has_images());
  CHECK(files.labels_only());
  CHECK(files.test_labels == dir / "emnist-letters-test-labels-idx1-ubyte.gz");

  write_file(dir / "emnist-letters-test-images-idx3-ubyte.gz", "x");
  CHECK(locate_dataset("emnist-letters", dir.path(), emnist::DataFormat::automatic).format ==
        emnist::DataFormat::idx);
  CHECK(locate_dataset("emnist-letters", dir.path(), emnist::DataFormat::csv).format ==
        emnist::DataFormat::csv);
}

TEST_CASE("locate_dataset knows MNIST's names", "[data][locate]") {
  emnist::test::TempDir dir;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte"}) {
    write_file(dir / name, "x");
  }
  for (const char* name : {"mnist", "fashion-mnist"}) {
    const auto files = locate_dataset(name, dir.path(), emnist::DataFormat::automatic);
    CHECK(files.format == emnist::DataFormat::idx);
    CHECK(files.train_images == dir / "train-images-idx3-ubyte.gz");
    CHECK(files.test_labels == dir / "t10k-labels-idx1-ubyte");
    CHECK(files.mapping.empty());
  }
}

TEST_CASE("locate_dataset rejects unknown names and forms a dataset lacks", "[data][locate]") {
  REQUIRE_THROWS_WITH(
      locate_dataset("emnist-cursive", "data", emnist::DataFormat::automatic),
      Contains("unknown dataset 'emnist-cursive': choose one of emnist-balanced,") &&
          Contains("fashion-mnist, idx"));
  REQUIRE_THROWS_WITH(locate_dataset("mnist", "data", emnist::DataFormat::csv),
                      Contains("dataset mnist has no CSV form"));
  REQUIRE_THROWS_WITH(locate_dataset("idx", "data", emnist::DataFormat::automatic),
                      Contains("data.train_images"));
}

TEST_CASE("dataset_files takes dataset idx's files from the config", "[data][locate]") {
  emnist::DataConfig config;
  config.dataset = "idx";
  config.train_images = "a/train-images";
  config.train_labels = "a/train-labels";
  config.test_images = "a/test-images";
  config.mapping = "a/map.txt";
  auto files = emnist::dataset_files(config);
  CHECK(files.name == "idx");
  CHECK(files.format == emnist::DataFormat::idx);
  CHECK(files.train_images == "a/train-images");
  CHECK(files.train_labels == "a/train-labels");
  CHECK(files.test_images == "a/test-images");
  CHECK(files.test_labels.empty());
  CHECK(files.mapping == "a/map.txt");

  config.train_images = "a/train.csv";
  files = emnist::dataset_files(config);
  CHECK(files.format == emnist::DataFormat::csv);
  CHECK(files.train_labels.empty());
}

TEST_CASE("scan_data_dir lists every dataset present, label-only ones too", "[data][locate]") {
  emnist::test::TempDir dir;
  emnist::test::write_emnist_idx(dir.path(), "emnist-bymerge", "test", 2, 2, {1});
  write_file(dir / "emnist-balanced-train-labels-idx1-ubyte.gz", "x");
  write_file(dir / "emnist-mnist-train.csv", "x");
  write_file(dir / "emnist-byclass-mapping.txt", "0 48\n");  // a mapping alone is no dataset
  write_file(dir / "t10k-images-idx3-ubyte.gz", "x");

  const auto found = emnist::scan_data_dir(dir.path());
  REQUIRE(found.size() == 4);
  CHECK(found[0].name == "emnist-balanced");
  CHECK(found[0].labels_only());
  CHECK(found[1].name == "emnist-bymerge");
  CHECK(found[1].has_images());
  CHECK(found[2].name == "emnist-mnist");
  CHECK(found[2].format == emnist::DataFormat::csv);
  CHECK(found[3].name == "mnist");

  emnist::test::TempDir parent;
  const auto fashion = parent / "fashion-mnist";
  write_file(fashion / "train-images-idx3-ubyte.gz", "x");
  const auto in_fashion = emnist::scan_data_dir(fashion.string() + "/");
  REQUIRE(in_fashion.size() == 1);
  CHECK(in_fashion[0].name == "fashion-mnist");

  REQUIRE_THROWS_WITH(emnist::scan_data_dir(dir / "nowhere"), Contains("nowhere: no such folder"));
}
