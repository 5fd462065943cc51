// tools/fetch-emnist.sh on small archives built here: it installs verified files, and a damaged or
// missing archive fails in one line with nothing installed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "data/data_fixtures.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::test::run_command;
using emnist::test::write_file;

namespace {

const std::string kScript = EMNIST_SOURCE_DIR "/tools/fetch-emnist.sh";
const std::string kImages = "emnist-mnist-test-images-idx3-ubyte.gz";
const std::string kLabels = "emnist-mnist-test-labels-idx1-ubyte.gz";
const std::string kMapping = "emnist-mnist-mapping.txt";

std::string shell_word(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// A miniature of NIST's gzip.zip: its files inside a folder gzip/.
struct Fixture {
  emnist::test::TempDir tmp{"emnist-fetch"};
  std::filesystem::path stage = tmp / "stage", zip = tmp / "gzip.zip", sums = tmp / "sums.txt",
                        dest = tmp / "out" / "emnist";
  std::string images = emnist::test::gzip(
                  emnist::test::idx_images(2, 28, 28, emnist::test::pattern_pixels(2, 28, 28))),
              labels = emnist::test::gzip(emnist::test::idx_labels({3, 7}));

  Fixture() {
    write_file(stage / "gzip" / kImages, images);
    write_file(stage / "gzip" / kLabels, labels);
    write_file(stage / "gzip" / kMapping, emnist::test::digit_mapping(10));
    std::string table = "# name size sha256\n";
    for (const auto& name : {kImages, kLabels}) {
      const auto sum = run_command("sha256sum " + shell_word(stage / "gzip" / name));
      REQUIRE(sum.exit_code == 0);
      table += name + " " + std::to_string(std::filesystem::file_size(stage / "gzip" / name)) +
               " " + sum.output.substr(0, 64) + "\n";
    }
    write_file(sums, table);
  }

  void make_zip() const {
    const auto result = run_command(
        "python3 -c 'import os, sys, zipfile\n"
        "with zipfile.ZipFile(sys.argv[1], \"w\") as z:\n"
        "    for root, _, files in os.walk(sys.argv[2]):\n"
        "        for f in sorted(files):\n"
        "            p = os.path.join(root, f)\n"
        "            z.write(p, os.path.relpath(p, sys.argv[2]))\n' " +
        shell_word(zip) + " " + shell_word(stage));
    REQUIRE(result.exit_code == 0);
  }

  emnist::test::CommandResult fetch(const std::string& env = "") const {
    return run_command(env + " bash " + shell_word(kScript) + " --from " + shell_word(zip) +
                       " --dest " + shell_word(dest) + " --checksums " + shell_word(sums));
  }

  bool nothing_installed() const {
    if (std::filesystem::exists(dest) && !std::filesystem::is_empty(dest)) return false;
    for (const auto& entry : std::filesystem::directory_iterator(dest.parent_path())) {
      if (entry.path().filename().string().rfind(".fetch-emnist", 0) == 0) return false;
    }
    return true;
  }
};

int64_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

}  // namespace

TEST_CASE("fetch-emnist.sh unpacks and verifies an archive", "[data][fetch]") {
  const bool have_unzip = run_command("command -v unzip").exit_code == 0;
  for (const std::string extractor : {"python", "unzip"}) {
    if (extractor == "unzip" && !have_unzip) continue;
    INFO("extractor " << extractor);
    Fixture f;
    f.make_zip();
    const auto result = f.fetch("EMNIST_EXTRACTOR=" + extractor);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.output, Contains("2 gzip files verified and unpacked into"));
    CHECK(emnist::test::read_text(f.dest / kImages) == f.images);
    CHECK(emnist::test::read_text(f.dest / kLabels) == f.labels);
    CHECK(std::filesystem::exists(f.dest / kMapping));
    CHECK_FALSE(std::filesystem::exists(f.dest / "gzip"));
    // No working folder left behind.
    CHECK(std::distance(std::filesystem::directory_iterator(f.dest.parent_path()),
                        std::filesystem::directory_iterator{}) == 1);
  }
}

TEST_CASE("fetch-emnist.sh rejects a damaged file and installs nothing", "[data][fetch]") {
  Fixture f;
  SECTION("same size, other bytes") {
    std::string tampered = f.images;
    tampered[tampered.size() / 2] ^= 0x20;
    write_file(f.stage / "gzip" / kImages, tampered);
    f.make_zip();
    const auto result = f.fetch();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Contains(kImages + ": sha256 ") && Contains(", expected "));
    CHECK(lines(result.output) == 1);
    CHECK(f.nothing_installed());
  }
  SECTION("another size") {
    write_file(f.stage / "gzip" / kLabels, f.labels + "x");
    f.make_zip();
    const auto result = f.fetch();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Contains(kLabels + ": size " + std::to_string(f.labels.size() + 1) +
                                       " bytes, expected " + std::to_string(f.labels.size())));
    CHECK(f.nothing_installed());
  }
  SECTION("a file missing from the archive") {
    std::filesystem::remove(f.stage / "gzip" / kLabels);
    f.make_zip();
    const auto result = f.fetch();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Contains(kLabels + ": missing from"));
    CHECK(f.nothing_installed());
  }
  SECTION("not a zip") {
    write_file(f.zip, "PK but not really");
    const auto result = f.fetch();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Contains("gzip.zip: not a readable zip archive"));
    CHECK(lines(result.output) == 1);
    CHECK(f.nothing_installed());
  }
  SECTION("no archive") {
    const auto result = f.fetch();
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Contains("gzip.zip: no such archive"));
    CHECK(f.nothing_installed());
  }
}

TEST_CASE("fetch-emnist.sh fails in one line when it cannot download", "[data][fetch]") {
  emnist::test::TempDir tmp{"emnist-fetch"};
  // Port 9 (discard) on the loopback: refused at once, whatever the machine's network.
  const auto result = run_command("EMNIST_URL=http://127.0.0.1:9/gzip.zip bash " +
                                  shell_word(kScript) + " --dest " + shell_word(tmp / "emnist"));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output,
             Contains("fetch-emnist.sh: cannot download http://127.0.0.1:9/gzip.zip") &&
                 Contains("--from gzip.zip"));
  CHECK(lines(result.output) == 1);
  CHECK(std::filesystem::is_empty(tmp.path()));
}
