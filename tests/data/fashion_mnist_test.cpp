// Debian's Fashion-MNIST (package dataset-fashion-mnist): real IDX files not in EMNIST's
// orientation.
#include <catch2/catch.hpp>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "support/support.hpp"

TEST_CASE("Fashion-MNIST from Debian: 60,000 + 10,000 images, balanced", "[data][real]") {
  emnist::DataConfig config;
  config.dataset = "fashion-mnist";  // its default folder is Debian's
  const auto dir = config.resolved_dir();
  if (!std::filesystem::is_directory(dir)) {
    const std::string why = dir.string() + " is absent (apt install dataset-fashion-mnist)";
    if (emnist::test::in_ci()) FAIL("CI=true and " + why);
    emnist::test::skip(why);
  }
  const auto dataset = emnist::load_dataset(config);
  REQUIRE(dataset.train.count == 60000);
  REQUIRE(dataset.test.count == 10000);
  CHECK(dataset.num_classes() == 10);
  CHECK(dataset.class_names[9] == "Ankle boot");
  CHECK(dataset.train.rows == 28);
  const auto per_class = [&](const emnist::ImageSet& set) {
    emnist::Subset all{&set, {}};
    for (int64_t i = 0; i < set.count; ++i) all.indices.push_back(i);
    return emnist::class_counts(all, 10);
  };
  CHECK(per_class(dataset.train) == std::vector<int64_t>(10, 6000));
  CHECK(per_class(dataset.test) == std::vector<int64_t>(10, 1000));
}
