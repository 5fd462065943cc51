#include <catch2/catch.hpp>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "support/support.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

TEST_CASE("files are written whole and nothing else is left beside them", "[run_dir][smoke]") {
  emnist::test::TempDir dir;
  emnist::write_file_atomic(dir / "a.txt", "first");
  emnist::write_file_atomic(dir / "a.txt", "second, longer");
  CHECK(emnist::test::read_text(dir / "a.txt") == "second, longer");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("an unwritable place is a clear error that names the path", "[run_dir][smoke]") {
  emnist::test::TempDir dir;
  emnist::test::write_file(dir / "plain-file", "x");
  // A path through a regular file can never be created, even as root.
  REQUIRE_THROWS_AS(emnist::write_file_atomic(dir / "plain-file" / "a.txt", "x"),
                    emnist::UserError);
  REQUIRE_THROWS_WITH(
      emnist::create_run_dir(dir / "plain-file" / "run", "", ""),
      Contains("plain-file/run: cannot create the run directory") && Contains("--out"));
}

TEST_CASE("run directories are named from the config and never reused", "[run_dir][smoke]") {
  emnist::test::TempDir dir;
  const auto a = emnist::create_run_dir("", dir.path(), "cnn");
  const auto b = emnist::create_run_dir("", dir.path(), "cnn");
  CHECK(a != b);
  CHECK(a.filename().string().rfind("cnn-", 0) == 0);
  CHECK(fs::is_directory(a));
  CHECK(fs::is_directory(b));
  const auto exact = emnist::create_run_dir(dir / "exact", dir.path(), "cnn");
  CHECK(exact == dir / "exact");
  CHECK(fs::is_empty(exact));
}
