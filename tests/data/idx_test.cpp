// IDX readers: well-formed images and labels (raw and gzip), and every header or size problem.
#include <catch2/catch.hpp>

#include "data/data_fixtures.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::read_idx_images;
using emnist::read_idx_labels;
using emnist::test::be32;
using emnist::test::idx_images;
using emnist::test::idx_labels;
using emnist::test::write_file;

TEST_CASE("read_idx_images reads images as stored, raw or gzip", "[data][idx]") {
  emnist::test::TempDir dir;
  const auto pixels = emnist::test::pattern_pixels(2, 3, 4);
  const std::string file = idx_images(2, 3, 4, pixels);
  write_file(dir / "images", file);
  write_file(dir / "images.gz", emnist::test::gzip(file));
  for (const char* name : {"images", "images.gz"}) {
    const auto images = read_idx_images(dir / name);
    CHECK(images.count == 2);
    CHECK(images.rows == 3);
    CHECK(images.cols == 4);
    CHECK(images.pixels == pixels);
  }
}

TEST_CASE("read_idx_labels reads labels, raw or gzip", "[data][idx]") {
  emnist::test::TempDir dir;
  const std::vector<uint8_t> labels{3, 0, 255, 7};
  write_file(dir / "labels", idx_labels(labels));
  write_file(dir / "labels.gz", emnist::test::gzip(idx_labels(labels)));
  CHECK(read_idx_labels(dir / "labels") == labels);
  CHECK(read_idx_labels(dir / "labels.gz") == labels);
}

TEST_CASE("read_idx_images rejects bad magic numbers", "[data][idx]") {
  emnist::test::TempDir dir;
  const auto path = dir / "images";
  const std::string body = be32(1) + be32(2) + be32(2) + std::string(4, '\0');

  write_file(path, be32(0x12345678) + body);
  REQUIRE_THROWS_WITH(
      read_idx_images(path),
      Contains(path.string() + ": bad magic number 0x12345678, expected 0x00000803"));

  write_file(path, idx_labels({1, 2}));
  REQUIRE_THROWS_WITH(read_idx_images(path), Contains("bad magic number 0x00000801") &&
                                                 Contains("IDX labels file") &&
                                                 Contains("swap the images and labels"));

  write_file(path, "ab");
  REQUIRE_THROWS_WITH(read_idx_images(path),
                      Contains(path.string() + ": too short to be an IDX file (2 bytes)"));

  write_file(path, "");
  REQUIRE_THROWS_WITH(read_idx_images(path), Contains("too short to be an IDX file (0 bytes)"));
}

TEST_CASE("read_idx_images rejects wrong dimensions", "[data][idx]") {
  emnist::test::TempDir dir;
  const auto path = dir / "images";

  write_file(path, be32(0x00000802) + be32(1) + be32(4) + std::string(4, '\0'));
  REQUIRE_THROWS_WITH(
      read_idx_images(path),
      Contains(path.string() + ": wrong dimensions: the header declares 2 dimensions") &&
          Contains("have 3 (count, rows, cols)"));

  write_file(path, be32(0x00000804) + be32(1) + be32(1) + be32(1) + be32(1) + "x");
  REQUIRE_THROWS_WITH(read_idx_images(path), Contains("declares 4 dimensions"));

  write_file(path, idx_images(1, 0, 28, {}));
  REQUIRE_THROWS_WITH(read_idx_images(path),
                      Contains(path.string() + ": wrong dimensions: images of 0x28 pixels"));
  write_file(path, idx_images(1, 28, 0, {}));
  REQUIRE_THROWS_WITH(read_idx_images(path), Contains("images of 28x0 pixels"));

  write_file(path, be32(0x00000803) + be32(1) + be32(28));
  REQUIRE_THROWS_WITH(
      read_idx_images(path),
      Contains(path.string() + ": truncated: 12 bytes, shorter than the 16-byte IDX header"));
}

TEST_CASE("read_idx_images checks the size against the header", "[data][idx]") {
  emnist::test::TempDir dir;
  const auto path = dir / "emnist-balanced-train-images-idx3-ubyte.gz";

  // The header of the real Balanced train file over a much shorter body.
  write_file(path, emnist::test::gzip(be32(0x00000803) + be32(112800) + be32(28) + be32(28) +
                                      std::string(1000000, '\0')));
  REQUIRE_THROWS_WITH(
      read_idx_images(path),
      Contains(
          path.string() +
          ": truncated: the header promises 112800 images of 28x28 (88435200 bytes after the "
          "16-byte header) but the file holds 1000000; re-download it (tools/fetch-emnist.sh)"));

  write_file(path, idx_images(2, 2, 2, std::vector<uint8_t>(9, 1)));
  REQUIRE_THROWS_WITH(read_idx_images(path),
                      Contains(": trailing bytes: the header promises 2 images of 2x2 (8 bytes") &&
                          Contains("but the file holds 9"));

  // A header whose size overflows 64 bits cannot be matched by any file.
  write_file(path, idx_images(0xffffffffu, 0x7fffffffu, 0x7fffffffu, {1, 2, 3}));
  REQUIRE_THROWS_WITH(read_idx_images(path),
                      Contains("truncated: the header promises 4294967295 images") &&
                          Contains("more bytes than any file holds"));
}

TEST_CASE("read_idx_images rejects an empty file", "[data][idx]") {
  emnist::test::TempDir dir;
  write_file(dir / "images", idx_images(0, 28, 28, {}));
  REQUIRE_THROWS_WITH(
      read_idx_images(dir / "images"),
      Contains((dir / "images").string() + ": empty: the header says the file holds 0 images"));
}

TEST_CASE("read_idx_labels rejects bad labels files", "[data][idx]") {
  emnist::test::TempDir dir;
  const auto path = dir / "labels";

  write_file(path, idx_images(1, 1, 1, {0}));
  REQUIRE_THROWS_WITH(
      read_idx_labels(path),
      Contains(path.string() + ": bad magic number 0x00000803, expected 0x00000801") &&
          Contains("IDX images file"));

  write_file(path, be32(0x00000802) + be32(1) + be32(1) + "x");
  REQUIRE_THROWS_WITH(read_idx_labels(path), Contains("wrong dimensions: the header declares 2"));

  write_file(path, be32(0x00000801) + be32(5) + "abc");
  REQUIRE_THROWS_WITH(
      read_idx_labels(path),
      Contains(path.string() + ": truncated: the header promises 5 labels (5 bytes after the "
                               "8-byte header) but the file holds 3"));

  write_file(path, be32(0x00000801) + be32(2) + "abc");
  REQUIRE_THROWS_WITH(read_idx_labels(path),
                      Contains("trailing bytes: the header promises 2 labels"));

  write_file(path, be32(0x00000801));
  REQUIRE_THROWS_WITH(read_idx_labels(path), Contains("shorter than the 8-byte IDX header"));

  write_file(path, idx_labels({}));
  REQUIRE_THROWS_WITH(read_idx_labels(path),
                      Contains("empty: the header says the file holds 0 labels"));
}

TEST_CASE("IDX readers pass gzip problems through with the file's name", "[data][idx]") {
  emnist::test::TempDir dir;
  const std::string gz =
      emnist::test::gzip(idx_images(3, 28, 28, std::vector<uint8_t>(3 * 784, 9)));
  write_file(dir / "cut.gz", gz.substr(0, gz.size() - 20));
  REQUIRE_THROWS_WITH(read_idx_images(dir / "cut.gz"),
                      Contains((dir / "cut.gz").string() + ": truncated gzip"));
  REQUIRE_THROWS_WITH(read_idx_labels(dir / "nowhere.gz"),
                      Contains((dir / "nowhere.gz").string() + ": no such file"));
}
