// Mapping files and the class names they give, on small files and on NIST's six real mappings.
#include <catch2/catch.hpp>

#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Contains;
using emnist::class_names_from_mapping;
using emnist::read_mapping;
using emnist::test::write_file;

TEST_CASE("read_mapping reads one and two codes per line", "[data][mapping]") {
  emnist::test::TempDir dir;
  write_file(dir / "m.txt", "1 65 97\n\n2 66 98\r\n3   228\n4 8364\n5 128512");
  const auto mapping = read_mapping(dir / "m.txt");
  REQUIRE(mapping.size() == 5);
  CHECK(mapping[0].label == 1);
  CHECK(mapping[0].codes == std::vector<int>{65, 97});
  CHECK(mapping[2].codes == std::vector<int>{228});
  const auto names = class_names_from_mapping(mapping);
  CHECK(names ==
        std::vector<std::string>{"Aa", "Bb", "\xC3\xA4", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"});
}

TEST_CASE("read_mapping rejects malformed mappings", "[data][mapping]") {
  emnist::test::TempDir dir;
  const auto path = dir / "m.txt";
  write_file(path, "0 48\n1\n");
  REQUIRE_THROWS_WITH(
      read_mapping(path),
      Contains(path.string() + ": line 2: expected 'label code [code2]', found 1 fields"));
  write_file(path, "0 48 49 50\n");
  REQUIRE_THROWS_WITH(read_mapping(path),
                      Contains("line 1: expected 'label code [code2]', found 4"));
  write_file(path, "0 48\nx 49\n");
  REQUIRE_THROWS_WITH(read_mapping(path),
                      Contains("line 2: label 'x' is not a non-negative integer"));
  write_file(path, "0 48\n1 4x9\n");
  REQUIRE_THROWS_WITH(read_mapping(path), Contains("line 2: '4x9' is not a character code"));
  write_file(path, "0 48\n1 -5\n");
  REQUIRE_THROWS_WITH(read_mapping(path), Contains("line 2: '-5' is not a character code"));
  write_file(path, "0 48\n1 49\n0 50\n");
  REQUIRE_THROWS_WITH(read_mapping(path),
                      Contains(path.string() + ": line 3: label 0 appears twice"));
  write_file(path, "\n \n");
  REQUIRE_THROWS_WITH(read_mapping(path), Contains(path.string() + ": empty"));
  REQUIRE_THROWS_WITH(read_mapping(dir / "none.txt"), Contains("none.txt: no such file"));
}

TEST_CASE("the six official mappings read as EMNIST documents them", "[data][mapping][real]") {
  const auto dir = emnist::test::require_shared() / "data" / "emnist";
  const auto names = [&](const std::string& split) {
    return class_names_from_mapping(read_mapping(dir / ("emnist-" + split + "-mapping.txt")));
  };
  const std::vector<std::string> digits{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  CHECK(names("mnist") == digits);
  CHECK(names("digits") == digits);

  const auto balanced = names("balanced");
  REQUIRE(balanced.size() == 47);
  CHECK(balanced[10] == "A");
  CHECK(balanced[35] == "Z");
  // The merged lower-case letters keep only those that differ from their capitals.
  CHECK(std::vector<std::string>(balanced.begin() + 36, balanced.end()) ==
        std::vector<std::string>{"a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"});
  CHECK(names("bymerge") == balanced);

  const auto byclass = names("byclass");
  REQUIRE(byclass.size() == 62);
  CHECK(byclass[36] == "a");
  CHECK(byclass[61] == "z");

  const auto letters = read_mapping(dir / "emnist-letters-mapping.txt");
  REQUIRE(letters.size() == 26);
  CHECK(letters.front().label == 1);
  CHECK(letters.back().label == 26);
  CHECK(class_names_from_mapping(letters).front() == "Aa");
  CHECK(class_names_from_mapping(letters).back() == "Zz");
}
