#include <catch2/catch.hpp>

#include "emnist/bench.hpp"
#include "emnist/error.hpp"
#include "support/train_fixtures.hpp"

using namespace emnist;

TEST_CASE("bench: reports throughput of the reference models on random input", "[bench]") {
  auto backend = make_cpu_backend();
  const BenchResult mlp = bench(*backend, ModelKind::mlp, 32, 3, nullptr);
  CHECK(mlp.samples_per_second > 0);
  CHECK(mlp.classes == 47);
  CHECK(mlp.steps == 3);
  CHECK(mlp.warmup_steps >= 1);
  CHECK(mlp.device == "cpu");

  Dataset data;
  data.name = "synthetic";
  data.class_names = {"a", "b", "c"};
  data.has_train = true;
  data.train = train_test::synthetic_images(20, 3, 1, true);
  const BenchResult cnn =
      bench(*backend, ModelKind::cnn, 8, 2, &data);  // 20 images wrap in batches of 8
  CHECK(cnn.classes == 3);
  CHECK(cnn.samples_per_second > 0);
}
