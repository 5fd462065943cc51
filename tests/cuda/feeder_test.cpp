// The resident feeder (uint8 split on the device, gathered by a kernel) and the pinned feeder
// (loader thread, page-locked ring, copy stream, events) on the GPU against the host feeder on the
// CPU: the same batches bit for bit (math::pixel_value is one correctly rounded division on both),
// over epochs (plain and augmented) and for evaluation ranges with a partial last batch.
#include <catch2/catch.hpp>
#include <cstring>

#include "compare.hpp"
#include "model_fixtures.hpp"
#include "train/batches.hpp"
#include "train/pinned_feeder.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda resident and pinned feeders: the CPU feeder's batches, bit for bit",
          "[cuda][feeder]") {
  // Augmented training batches too: math::augment_draw and augment_pixel use +, -, * (unfused)
  // and / only, the same bits on the device as on the host.
  for (const bool augmented : {false, true})
    for (const FeederChoice kind : {FeederChoice::resident, FeederChoice::pinned}) {
      CAPTURE(choice_name(kind).data(), augmented);
      const ImageSet images = synthetic_images(500, 16, 81, false);  // noise: every pixel value
      Subset subset;
      subset.source = &images;
      for (int64_t i = 499; i >= 0; i -= 2) subset.indices.push_back(i);
      const int64_t batch = 32;
      auto cpu_model = make_model(cpu(), reference_mlp(), 28, 28, 16, batch, 1);
      auto gpu_model = make_model(gpu(), reference_mlp(), 28, 28, 16, batch, 1);
      BatchFeeder host(cpu(), batch, 784);
      TrainConfig tc;
      tc.feeder = kind;
      const std::unique_ptr<Feeder> feeder = make_feeder(tc, gpu(), batch, 784);
      Feeder& resident = *feeder;
      if (augmented) {
        host.augment_training(test::every_augmentation(4));
        resident.augment_training(test::every_augmentation(4));
      }
      auto read = [](const Model& m, int64_t n) {
        std::vector<float> x(static_cast<size_t>(n * 784));
        std::vector<int32_t> y(static_cast<size_t>(n));
        m.backend().copy_to_host(x.data(), m.input(n).data, sizeof(float) * x.size());
        m.backend().copy_to_host(y.data(), m.labels(), sizeof(int32_t) * y.size());
        return std::make_pair(x, y);
      };
      for (int epoch = 0; epoch < 2; ++epoch) {
        host.begin_epoch(subset, 9, epoch);
        resident.begin_epoch(subset, 9, epoch);
        for (int64_t step = 0; step < subset.size() / batch; ++step) {
          host.load_step(cpu_model->batch(), step, batch);
          resident.load_step(gpu_model->batch(), step, batch);
          const auto [hx, hy] = read(*cpu_model, batch);
          const auto [gx, gy] = read(*gpu_model, batch);
          REQUIRE(hy == gy);
          REQUIRE(std::memcmp(hx.data(), gx.data(), sizeof(float) * hx.size()) == 0);
        }
      }
      for (int64_t first = 0; first < subset.size(); first += batch) {
        const int64_t n = std::min(batch, subset.size() - first);
        host.load_range(cpu_model->batch(), subset, first, n);
        resident.load_range(gpu_model->batch(), subset, first, n);
        const auto [hx, hy] = read(*cpu_model, n);
        const auto [gx, gy] = read(*gpu_model, n);
        REQUIRE(hy == gy);
        REQUIRE(std::memcmp(hx.data(), gx.data(), sizeof(float) * hx.size()) == 0);
        REQUIRE(host.labels() == resident.labels());
      }
    }
}

TEST_CASE("cuda epoch_rows: the CPU's permutation, exactly", "[cuda][feeder][sanitize]") {
  for (int64_t count : {int64_t{1}, int64_t{37}, int64_t{1000}, int64_t{112800}}) {
    CAPTURE(count);
    std::vector<int64_t> indices(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) indices[static_cast<size_t>(i)] = 3 * (count - 1 - i) + 1;
    for (int epoch : {0, 1, 7}) {
      std::vector<int64_t> expected(indices.size());
      cpu().epoch_rows(11, epoch, indices.data(), count, expected.data());
      Guarded<int64_t> gindices(gpu(), indices);
      Guarded<int64_t> grows(gpu(), indices.size());
      gpu().epoch_rows(11, epoch, gindices.data(), count, grows.data());
      REQUIRE(grows.read() == expected);
      grows.check_guards("rows");
    }
  }
}

TEST_CASE("cuda pinned feeder: a few batches through the ring, for the sanitizers",
          "[cuda][feeder][sanitize]") {
  const ImageSet images = synthetic_images(100, 16, 83, false);
  Subset subset;
  subset.source = &images;
  for (int64_t i = 0; i < 100; ++i) subset.indices.push_back(i);
  const int64_t batch = 16;
  auto cpu_model = make_model(cpu(), reference_mlp(), 28, 28, 16, batch, 1);
  auto gpu_model = make_model(gpu(), reference_mlp(), 28, 28, 16, batch, 1);
  BatchFeeder host(cpu(), batch, 784);
  PinnedFeeder pinned(gpu(), batch, 784, 2);
  host.begin_epoch(subset, 3, 0);
  pinned.begin_epoch(subset, 3, 0);
  std::vector<float> hx(static_cast<size_t>(batch * 784)), gx(hx.size());
  for (int64_t step = 0; step < 5; ++step) {  // the 2-slot ring wraps twice
    host.load_step(cpu_model->batch(), step, batch);
    pinned.load_step(gpu_model->batch(), step, batch);
    cpu().copy_to_host(hx.data(), cpu_model->input(batch).data, sizeof(float) * hx.size());
    gpu().copy_to_host(gx.data(), gpu_model->input(batch).data, sizeof(float) * gx.size());
    REQUIRE(std::memcmp(hx.data(), gx.data(), sizeof(float) * hx.size()) == 0);
  }
  host.load_range(cpu_model->batch(), subset, 96, 4);
  pinned.load_range(gpu_model->batch(), subset, 96, 4);
  REQUIRE(host.labels() == pinned.labels());
}
