// read_file_bytes: raw and gzip files, and every way a gzip file can be broken.
#include <catch2/catch.hpp>

#include "data/data_fixtures.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::read_file_bytes;
using emnist::UserError;

namespace {

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// Compressible but not trivial, so the deflate stream has real blocks to break.
std::string sample(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>((i * 7 + i / 13) % 61);
  return s;
}

}  // namespace

TEST_CASE("read_file_bytes returns a raw file as it is", "[data][gzip]") {
  emnist::test::TempDir dir;
  const std::string bytes = std::string("\x00\x01\x1f", 3) + sample(1000);
  emnist::test::write_file(dir / "raw.bin", bytes);
  CHECK(as_string(read_file_bytes(dir / "raw.bin")) == bytes);
  emnist::test::write_file(dir / "empty.bin", "");
  CHECK(read_file_bytes(dir / "empty.bin").empty());
}

TEST_CASE("read_file_bytes gunzips, including concatenated members", "[data][gzip]") {
  emnist::test::TempDir dir;
  const std::string a = sample(300000), b = sample(1234);
  emnist::test::write_file(dir / "one.gz", emnist::test::gzip(a));
  CHECK(as_string(read_file_bytes(dir / "one.gz")) == a);
  // The trailer's size is the last member's only: the output has to grow past that guess.
  emnist::test::write_file(dir / "two.gz", emnist::test::gzip(a) + emnist::test::gzip(b));
  CHECK(as_string(read_file_bytes(dir / "two.gz")) == a + b);
  emnist::test::write_file(dir / "nothing.gz", emnist::test::gzip(""));
  CHECK(read_file_bytes(dir / "nothing.gz").empty());
}

TEST_CASE("read_file_bytes names a missing file or a folder", "[data][gzip]") {
  emnist::test::TempDir dir;
  const auto missing = (dir / "absent.gz").string();
  REQUIRE_THROWS_WITH(read_file_bytes(missing), Contains(missing + ": no such file"));
  REQUIRE_THROWS_WITH(read_file_bytes(dir.path()), Contains(": is a folder, not a data file"));
}

TEST_CASE("read_file_bytes rejects truncated gzip", "[data][gzip]") {
  emnist::test::TempDir dir;
  const std::string gz = emnist::test::gzip(sample(100000));
  const auto half = dir / "half.gz", no_trailer = dir / "no-trailer.gz";
  emnist::test::write_file(half, gz.substr(0, gz.size() / 2));
  emnist::test::write_file(no_trailer, gz.substr(0, gz.size() - 4));
  for (const auto& path : {half, no_trailer}) {
    REQUIRE_THROWS_AS(read_file_bytes(path), UserError);
    REQUIRE_THROWS_WITH(read_file_bytes(path),
                        Contains(path.string() + ": truncated gzip") &&
                            Contains("re-download it (tools/fetch-emnist.sh)"));
  }
  emnist::test::write_file(dir / "magic-only.gz", "\x1f\x8b");
  REQUIRE_THROWS_WITH(read_file_bytes(dir / "magic-only.gz"), Contains("truncated gzip"));
}

TEST_CASE("read_file_bytes rejects corrupt gzip", "[data][gzip]") {
  emnist::test::TempDir dir;
  std::string gz = emnist::test::gzip(sample(100000));

  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x5a;  // the trailer's CRC-32
  emnist::test::write_file(dir / "crc.gz", bad_crc);
  REQUIRE_THROWS_WITH(read_file_bytes(dir / "crc.gz"),
                      Contains((dir / "crc.gz").string() + ": corrupt gzip data (zlib: ") &&
                          Contains("re-download it"));

  std::string bad_method = gz;
  bad_method[2] = 7;  // compression method: only 8 (deflate) exists
  emnist::test::write_file(dir / "method.gz", bad_method);
  REQUIRE_THROWS_WITH(read_file_bytes(dir / "method.gz"), Contains("corrupt gzip data"));

  std::string bad_block = gz;
  bad_block[10] = static_cast<char>(0x07);  // first deflate block header: reserved block type 3
  emnist::test::write_file(dir / "block.gz", bad_block);
  REQUIRE_THROWS_WITH(read_file_bytes(dir / "block.gz"), Contains("corrupt gzip data"));

  emnist::test::write_file(dir / "trailing.gz", gz + "junk!");
  REQUIRE_THROWS_WITH(read_file_bytes(dir / "trailing.gz"),
                      Contains("5 bytes of unexpected data after the gzip stream"));
}
