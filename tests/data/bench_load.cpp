// Hidden benchmark (never run by ctest): how long loading the real ByMerge test split takes.
// Run: emnist_tests "[.bench]"
#include <catch2/catch.hpp>

#include <chrono>
#include <iostream>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "support/support.hpp"

TEST_CASE("bench: load the ByMerge test split", "[.bench]") {
  emnist::DataConfig config;
  config.dataset = "emnist-bymerge";
  config.dir = (emnist::test::require_shared() / "data" / "emnist").string();
  for (int run = 0; run < 3; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto dataset = emnist::load_dataset(config);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "load emnist-bymerge test (" << dataset.test.count << " images): " << s << " s\n";
  }
}
