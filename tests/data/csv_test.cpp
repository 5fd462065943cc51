// The Kaggle CSV reader: header or not, line endings, gzip, and every malformed row.
#include <catch2/catch.hpp>

#include "data/data_fixtures.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::read_kaggle_csv;
using emnist::test::write_file;

namespace {

const std::vector<uint8_t> kPixels = emnist::test::pattern_pixels(3, 28, 28);

std::string rows(const std::vector<int>& labels) {
  std::string text;
  for (size_t i = 0; i < labels.size(); ++i) {
    text += emnist::test::csv_line(labels[i], kPixels.data() + i * 784, 784);
  }
  return text;
}

std::string header() {
  std::string h = "label";
  for (int i = 1; i <= 784; ++i)
    h += "," + std::to_string(i / 28 + 1) + "x" + std::to_string(i % 28 + 1);
  return h + "\n";
}

// A line of `fields` fields that are all "0" except `replace_at` (0-based), which reads `text`.
std::string line_with(int fields, int replace_at = -1, const std::string& text = "") {
  std::string line;
  for (int i = 0; i < fields; ++i) {
    if (i > 0) line += ",";
    line += i == replace_at ? text : "0";
  }
  return line + "\n";
}

}  // namespace

TEST_CASE("read_kaggle_csv reads labels and pixels as stored", "[data][csv]") {
  emnist::test::TempDir dir;
  std::string crlf = rows({5, 0, 46});
  for (size_t at = 0; (at = crlf.find('\n', at)) != std::string::npos; at += 2)
    crlf.insert(at, "\r");
  std::string no_final_newline = rows({5, 0, 46});
  no_final_newline.pop_back();

  write_file(dir / "plain.csv", rows({5, 0, 46}));
  write_file(dir / "header.csv", header() + rows({5, 0, 46}));
  write_file(dir / "crlf.csv", crlf);
  write_file(dir / "bom.csv", "\xEF\xBB\xBF" + rows({5, 0, 46}) + "\n\n");
  write_file(dir / "last.csv", no_final_newline);
  write_file(dir / "zipped.csv", emnist::test::gzip(header() + rows({5, 0, 46})));
  for (const char* name :
       {"plain.csv", "header.csv", "crlf.csv", "bom.csv", "last.csv", "zipped.csv"}) {
    INFO(name);
    const auto csv = read_kaggle_csv(dir / name);
    CHECK(csv.labels == std::vector<int>{5, 0, 46});
    CHECK(csv.images.count == 3);
    CHECK(csv.images.rows == 28);
    CHECK(csv.images.cols == 28);
    CHECK(csv.images.pixels == kPixels);
  }
}

TEST_CASE("read_kaggle_csv names the line and field of a malformed row", "[data][csv]") {
  emnist::test::TempDir dir;
  const auto path = dir / "bad.csv";
  const std::string good = line_with(785);

  write_file(path, header() + good + line_with(784));
  REQUIRE_THROWS_WITH(
      read_kaggle_csv(path),
      Contains(path.string() + ": line 3: 784 fields, expected 785 (the label, then "
                               "28x28 = 784 pixels)"));
  write_file(path, good + line_with(790));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path), Contains(": line 2: 790 fields, expected 785"));
  write_file(path, good + "7\n");
  REQUIRE_THROWS_WITH(read_kaggle_csv(path), Contains(": line 2: 1 field, expected 785"));

  write_file(path, good + good + line_with(785, 300, "1x"));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path),
                      Contains(": line 3: field 301: '1x' is not a non-negative integer"));
  write_file(path, good + line_with(785, 0, "-1"));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path),
                      Contains(": line 2: field 1: '-1' is not a non-negative integer"));
  write_file(path, good + line_with(785, 10, "2.5"));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path),
                      Contains("field 11: '2.5' is not a non-negative integer"));
  write_file(path, good + line_with(785, 784, ""));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path), Contains(": line 2: field 785 is empty"));

  write_file(path, good + line_with(785, 5, "256"));
  REQUIRE_THROWS_WITH(
      read_kaggle_csv(path),
      Contains(path.string() + ": line 2: field 6: pixel value 256 is out of range 0..255"));
  write_file(path, line_with(785, 0, "99999999999"));
  REQUIRE_THROWS_WITH(read_kaggle_csv(path),
                      Contains(": line 1: label 99999999999 is out of range"));
}

TEST_CASE("read_kaggle_csv rejects a file with no data rows", "[data][csv]") {
  emnist::test::TempDir dir;
  write_file(dir / "empty.csv", "");
  REQUIRE_THROWS_WITH(read_kaggle_csv(dir / "empty.csv"),
                      Contains((dir / "empty.csv").string() + ": empty: no data rows"));
  write_file(dir / "header.csv", header() + "\n");
  REQUIRE_THROWS_WITH(read_kaggle_csv(dir / "header.csv"), Contains("empty: no data rows"));
  REQUIRE_THROWS_WITH(read_kaggle_csv(dir / "absent.csv"),
                      Contains((dir / "absent.csv").string() + ": no such file"));
}
