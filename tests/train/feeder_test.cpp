// The resident feeder (split in backend memory, gathered by Backend::gather_batch) and the pinned
// feeder (a loader thread, page-locked ring, copy queue) give exactly the batches of the host
// feeder, for training steps over several epochs and for evaluation ranges with a partial last
// batch, and allocate nothing once each split is up.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "emnist/error.hpp"
#include "emnist/trainer.hpp"
#include "support/support.hpp"
#include "support/train_fixtures.hpp"
#include "train/batches.hpp"
#include "train/pinned_feeder.hpp"

using namespace emnist;

namespace {

struct Batch {
  std::vector<float> x;
  std::vector<int32_t> y;
};

Batch read_batch(const Model& model, int64_t n) {
  Batch b{std::vector<float>(static_cast<size_t>(n * 784)),
          std::vector<int32_t>(static_cast<size_t>(n))};
  model.backend().copy_to_host(b.x.data(), model.input(n).data, sizeof(float) * b.x.size());
  model.backend().copy_to_host(b.y.data(), model.labels(), sizeof(int32_t) * b.y.size());
  return b;
}

bool same_bits(const Batch& a, const Batch& b) {
  return a.y == b.y && a.x.size() == b.x.size() &&
         std::memcmp(a.x.data(), b.x.data(), sizeof(float) * a.x.size()) == 0;
}

}  // namespace

TEST_CASE("feeders: resident and host feeders give the same batches bit for bit", "[feeder]") {
  const ImageSet images =
      train_test::synthetic_images(300, 10, 71, false);  // noise: every pixel value
  // A subset that is not the identity: every third image, backwards.
  Subset subset;
  subset.source = &images;
  for (int64_t i = 299; i >= 0; i -= 3) subset.indices.push_back(i);
  Subset other;  // a second split of the same images, for evaluation
  other.source = &images;
  for (int64_t i = 1; i < 300; i += 7) other.indices.push_back(i);

  const int64_t batch = 16;
  auto host_backend = make_cpu_backend();
  train_test::CountingBackend resident_backend;
  auto host_model = make_model(*host_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto resident_model = make_model(resident_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  BatchFeeder host(*host_backend, batch, 784);
  ResidentFeeder resident(resident_backend, 784);

  int64_t allocations_after_first_epoch = -1;
  for (int epoch = 0; epoch < 3; ++epoch) {
    host.begin_epoch(subset, 5, epoch);
    resident.begin_epoch(subset, 5, epoch);
    for (int64_t step = 0; step < subset.size() / batch; ++step) {
      host.load_step(host_model->batch(), step, batch);
      resident.load_step(resident_model->batch(), step, batch);
      REQUIRE(same_bits(read_batch(*host_model, batch), read_batch(*resident_model, batch)));
    }
    for (const Subset* s : {&subset, &other}) {
      for (int64_t first = 0; first < s->size(); first += batch) {
        const int64_t n = std::min(batch, s->size() - first);
        host.load_range(host_model->batch(), *s, first, n);
        resident.load_range(resident_model->batch(), *s, first, n);
        REQUIRE(same_bits(read_batch(*host_model, n), read_batch(*resident_model, n)));
        REQUIRE(host.labels() == resident.labels());
      }
    }
    if (epoch == 0) allocations_after_first_epoch = resident_backend.allocations;
  }
  // Images, labels and indices went up in the first epoch; later epochs only compute new rows.
  CHECK(resident_backend.allocations == allocations_after_first_epoch);
  CHECK_THROWS(resident.load_step(resident_model->batch(), subset.size() / batch, batch));
}

TEST_CASE("feeders: train.feeder chooses the feeder", "[feeder]") {
  auto cpu = make_cpu_backend();
  TrainConfig tc;
  CHECK(dynamic_cast<BatchFeeder*>(make_feeder(tc, *cpu, 8, 784).get()) !=
        nullptr);  // auto on the CPU
  tc.feeder = FeederChoice::resident;
  CHECK(dynamic_cast<ResidentFeeder*>(make_feeder(tc, *cpu, 8, 784).get()) != nullptr);
  CHECK(feeder_name(tc, *cpu) == "resident");
  tc.feeder = FeederChoice::pinned;
  CHECK(dynamic_cast<PinnedFeeder*>(make_feeder(tc, *cpu, 8, 784).get()) != nullptr);
  CHECK(feeder_name(tc, *cpu) == "pinned");
  tc.feeder = FeederChoice::automatic;
  CHECK(feeder_name(tc, *cpu) == "host");
}

// [threads]: the pinned feeder's loader thread; CI runs these under ThreadSanitizer.
TEST_CASE("feeders: the pinned feeder gives the host feeder's batches bit for bit",
          "[feeder][threads]") {
  const ImageSet images = train_test::synthetic_images(300, 10, 73, false);
  Subset subset;
  subset.source = &images;
  for (int64_t i = 299; i >= 0; i -= 2) subset.indices.push_back(i);
  Subset other;
  other.source = &images;
  for (int64_t i = 3; i < 300; i += 11) other.indices.push_back(i);

  const int64_t batch = 12;
  auto host_backend = make_cpu_backend();
  // A device that lags behind the host (train_fixtures.hpp): the ring's events have to be honoured.
  train_test::CountingBackend pinned_backend;
  pinned_backend.defer_async = true;
  auto host_model = make_model(*host_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto pinned_model = make_model(pinned_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  BatchFeeder host(*host_backend, batch, 784);
  const int64_t allocations_before = pinned_backend.allocations;
  {
    PinnedFeeder pinned(pinned_backend, batch, 784, 3);  // 3 slots: the ring wraps often
    const int64_t allocations_of_the_ring = pinned_backend.allocations - allocations_before;
    const int64_t steps = subset.size() / batch;
    for (int epoch = 0; epoch < 3; ++epoch) {
      host.begin_epoch(subset, 9, epoch);
      pinned.begin_epoch(subset, 9, epoch);
      // Epoch 1 starts at step 4, as a resumed run does; epoch 2 skips from step 2 to step 7.
      const int64_t first = epoch == 1 ? 4 : 0;
      for (int64_t step = first; step < steps; ++step) {
        if (epoch == 2 && step == 3) step = 7;
        INFO("epoch " << epoch << " step " << step);
        host.load_step(host_model->batch(), step, batch);
        pinned.load_step(pinned_model->batch(), step, batch);
        REQUIRE(same_bits(read_batch(*host_model, batch), read_batch(*pinned_model, batch)));
      }
      // Evaluation: two splits in order with a partial last batch, then a range out of order.
      for (const Subset* s : {&subset, &other}) {
        for (int64_t first_sample = 0; first_sample < s->size(); first_sample += batch) {
          const int64_t n = std::min(batch, s->size() - first_sample);
          host.load_range(host_model->batch(), *s, first_sample, n);
          pinned.load_range(pinned_model->batch(), *s, first_sample, n);
          REQUIRE(same_bits(read_batch(*host_model, n), read_batch(*pinned_model, n)));
          REQUIRE(host.labels() == pinned.labels());
        }
      }
      host.load_range(host_model->batch(), other, 5, 7);
      pinned.load_range(pinned_model->batch(), other, 5, 7);
      REQUIRE(same_bits(read_batch(*host_model, 7), read_batch(*pinned_model, 7)));
      REQUIRE(host.labels() == pinned.labels());
    }
    pinned_backend.catch_up();
    CHECK(pinned_backend.early_host_writes == 0);  // no slot refilled before its copy was done
    // Every copy into the ring was ordered after the ring's zeroing on the compute queue.
    CHECK(pinned_backend.unordered_copies == 0);
    // The ring (one device block) was the only allocation.
    CHECK(allocations_of_the_ring == 1);
    CHECK(pinned_backend.allocations - allocations_before == 1);
    CHECK_THROWS_AS(pinned.load_step(pinned_model->batch(), steps, batch), std::invalid_argument);
    CHECK_THROWS_AS(pinned.load_step(pinned_model->batch(), 0, batch + 1), std::invalid_argument);
  }
}

TEST_CASE("feeders: the CPU backend's epoch_rows is epoch_order mapped through the indices",
          "[feeder]") {
  auto cpu = make_cpu_backend();
  const std::vector<int64_t> indices = {50, 40, 30, 20, 10, 0, 5};
  for (int epoch : {0, 3}) {
    std::vector<int64_t> rows(indices.size(), -1);
    cpu->epoch_rows(2, epoch, indices.data(), 7, rows.data());
    const std::vector<int64_t> order = epoch_order(2, epoch, 7);
    for (size_t i = 0; i < rows.size(); ++i)
      CHECK(rows[i] == indices[static_cast<size_t>(order[i])]);
  }
}

TEST_CASE("feeders: a training run with the pinned feeder gives the host feeder's model",
          "[feeder][threads]") {
  test::TempDir dir;
  Config config = train_test::synthetic_idx_run(dir.path(), 320, 64, 8);
  config.train.epochs = 2;
  auto model_bytes = [&](const std::string& feeder) {
    config.train.feeder = parse_choice<FeederChoice>(feeder, "train.feeder");
    const auto run_dir = dir / feeder;
    std::filesystem::create_directories(run_dir);
    auto backend = make_cpu_backend();
    train_run(config, *backend, run_dir);
    return test::read_text(run_dir / "model.safetensors");
  };
  const std::string host = model_bytes("auto");
  CHECK(model_bytes("pinned") == host);
  CHECK(model_bytes("resident") == host);
}

TEST_CASE("feeders: augmented training batches are the same from every feeder, bit for bit",
          "[feeder][threads]") {
  const ImageSet images = train_test::synthetic_images(120, 10, 75, false);
  Subset subset;
  subset.source = &images;
  for (int64_t i = 119; i >= 0; i -= 2) subset.indices.push_back(i);
  const math::AugmentSpec spec = test::every_augmentation(3);

  const int64_t batch = 10;
  auto cpu = make_cpu_backend();
  train_test::CountingBackend resident_backend, pinned_backend;
  pinned_backend.defer_async = true;
  auto host_model = make_model(*cpu, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto plain_model = make_model(*cpu, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto resident_model = make_model(resident_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto pinned_model = make_model(pinned_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  BatchFeeder host(*cpu, batch, 784), plain(*cpu, batch, 784);
  ResidentFeeder resident(resident_backend, 784);
  PinnedFeeder pinned(pinned_backend, batch, 784, 3);
  host.augment_training(spec);
  resident.augment_training(spec);
  pinned.augment_training(spec);

  Batch epoch0_step0;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (Feeder* f : std::initializer_list<Feeder*>{&host, &plain, &resident, &pinned})
      f->begin_epoch(subset, 9, epoch);
    for (int64_t step = 0; step < subset.size() / batch; ++step) {
      INFO("epoch " << epoch << " step " << step);
      host.load_step(host_model->batch(), step, batch);
      plain.load_step(plain_model->batch(), step, batch);
      resident.load_step(resident_model->batch(), step, batch);
      pinned.load_step(pinned_model->batch(), step, batch);
      const Batch augmented = read_batch(*host_model, batch);
      REQUIRE(same_bits(augmented, read_batch(*resident_model, batch)));
      REQUIRE(same_bits(augmented, read_batch(*pinned_model, batch)));
      // The same samples and labels as without augmentation, other pixels.
      const Batch unaugmented = read_batch(*plain_model, batch);
      CHECK(augmented.y == unaugmented.y);
      CHECK_FALSE(same_bits(augmented, unaugmented));
      if (epoch == 0 && step == 0) epoch0_step0 = augmented;
    }
    // Evaluation batches are never augmented.
    host.load_range(host_model->batch(), subset, 0, batch);
    plain.load_range(plain_model->batch(), subset, 0, batch);
    pinned.load_range(pinned_model->batch(), subset, 0, batch);
    REQUIRE(same_bits(read_batch(*host_model, batch), read_batch(*plain_model, batch)));
    REQUIRE(same_bits(read_batch(*pinned_model, batch), read_batch(*plain_model, batch)));
  }
  // Epoch 1 draws other transforms for the same images (epoch 1's first batch holds other samples
  // too, so compare one image: sample 0 of epoch 0 drawn again for epoch 1).
  std::vector<float> again(784);
  const int64_t id = subset.indices[static_cast<size_t>(epoch_order(9, 0, subset.size())[0])];
  math::augment_image(images.image(id), 28, 28, spec, math::augment_draw(spec, 0, id),
                      again.data());
  CHECK(std::memcmp(again.data(), epoch0_step0.x.data(), sizeof(float) * 784) == 0);
  math::augment_image(images.image(id), 28, 28, spec, math::augment_draw(spec, 1, id),
                      again.data());
  CHECK(std::memcmp(again.data(), epoch0_step0.x.data(), sizeof(float) * 784) != 0);
  pinned_backend.catch_up();
}

TEST_CASE("feeders: balanced draws pick each class about equally often, whatever its size",
          "[feeder]") {
  // 5 classes: 600 positions of class 0, 30 of each other class. 5,000 draws: each class about
  // 1,000 times (binomial sd 28; the bound, 15%, is 5 sd), where uniform shuffling would give
  // class 0 six sevenths of them.
  std::vector<int32_t> labels(600, 0);
  for (int32_t c = 1; c < 5; ++c) labels.insert(labels.end(), 30, c);
  std::vector<int32_t> many;
  while (many.size() < 5000) many.insert(many.end(), labels.begin(), labels.end());
  many.resize(5000);
  const std::vector<int64_t> draws = balanced_draws(7, 0, many);
  REQUIRE(draws.size() == many.size());
  std::vector<int64_t> per_class(5, 0), per_position(many.size(), 0);
  for (const int64_t d : draws) {
    REQUIRE(d >= 0);
    REQUIRE(d < static_cast<int64_t>(many.size()));
    ++per_class[static_cast<size_t>(many[static_cast<size_t>(d)])];
    ++per_position[static_cast<size_t>(d)];
  }
  for (const int64_t n : per_class) CHECK(std::abs(n - 1000) < 150);
  // Within a small class nearly every member is drawn (class 1 has about 208 positions here, about
  // 4.8 draws each, so about 1% are never drawn: many more left out would mean members are not
  // drawn uniformly).
  int64_t class1_positions = 0, class1_drawn = 0;
  for (size_t i = 0; i < many.size(); ++i) {
    if (many[i] != 1) continue;
    ++class1_positions;
    class1_drawn += per_position[i] > 0;
  }
  CHECK(class1_drawn > class1_positions * 9 / 10);
  // A pure function of (seed, epoch, labels): the same again, another epoch or seed differs.
  CHECK(balanced_draws(7, 0, many) == draws);
  CHECK(balanced_draws(7, 1, many) != draws);
  CHECK(balanced_draws(8, 0, many) != draws);
}

TEST_CASE("feeders: balanced sampling gives the same batches from every feeder, bit for bit",
          "[feeder][threads]") {
  // A subset where class 0 (label i % 10) is five times as common as each other class (40 images,
  // 8 of each other): the feeders draw the same samples, and class 0 no longer dominates.
  const ImageSet images = train_test::synthetic_images(400, 10, 77, false);
  Subset subset;
  subset.source = &images;
  for (int64_t i = 0; i < images.count; ++i)
    if (i % 10 == 0 || (i % 50 >= 1 && i % 50 <= 9)) subset.indices.push_back(i);
  int64_t class0_in_subset = 0;
  for (const int64_t i : subset.indices)
    class0_in_subset += images.labels[static_cast<size_t>(i)] == 0;
  REQUIRE(class0_in_subset * 3 > subset.size());

  const int64_t batch = 8;
  auto cpu = make_cpu_backend();
  train_test::CountingBackend resident_backend, pinned_backend;
  pinned_backend.defer_async = true;
  auto host_model = make_model(*cpu, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto resident_model = make_model(resident_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  auto pinned_model = make_model(pinned_backend, train_test::small_mlp(), 28, 28, 10, batch, 1);
  BatchFeeder host(*cpu, batch, 784);
  ResidentFeeder resident(resident_backend, 784);
  PinnedFeeder pinned(pinned_backend, batch, 784, 3);
  for (Feeder* f : std::initializer_list<Feeder*>{&host, &resident, &pinned}) f->sample_balanced();

  int64_t drawn = 0, class0_drawn = 0;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (Feeder* f : std::initializer_list<Feeder*>{&host, &resident, &pinned})
      f->begin_epoch(subset, 4, epoch);
    for (int64_t step = 0; step < subset.size() / batch; ++step) {
      INFO("epoch " << epoch << " step " << step);
      host.load_step(host_model->batch(), step, batch);
      resident.load_step(resident_model->batch(), step, batch);
      pinned.load_step(pinned_model->batch(), step, batch);
      const Batch b = read_batch(*host_model, batch);
      REQUIRE(same_bits(b, read_batch(*resident_model, batch)));
      REQUIRE(same_bits(b, read_batch(*pinned_model, batch)));
      for (const int32_t y : b.y) class0_drawn += y == 0;
      drawn += batch;
    }
  }
  // Class 0 is over a third of the subset and about a tenth of the 224 draws (sd 4.5; the bound is
  // 5 sd above; uniform shuffling would draw it about 80 times).
  CHECK(class0_drawn * 5 < drawn);
  pinned_backend.catch_up();
}
