// The server's inference worker: waiting requests go through together in one batch, each gets its
// own rows back in order, a full queue refuses at once (the server's 503), an error reaches every
// request of its batch, and destruction finishes what was queued. The worker is held inside a
// batch by the test (a promise it waits on), so every state below is reached without timing.
#include <catch2/catch.hpp>
#include <future>

#include "use/inference_queue.hpp"

using namespace emnist;

namespace {

// An image whose first pixel is `v`.
EmnistImage image(uint8_t v) {
  EmnistImage e{};
  e[0] = v;
  return e;
}

// A fake model of 2 classes: row i is (first pixel, batch size), so a test sees what was batched.
struct HeldModel {
  std::promise<void> entered;        // set when the first batch starts
  std::shared_future<void> release;  // the first batch waits for this
  std::vector<size_t> batch_sizes;
  bool first = true;
  std::vector<float> operator()(std::span<const EmnistImage> images) {
    batch_sizes.push_back(images.size());
    if (first) {
      first = false;
      entered.set_value();
      release.wait();
    }
    std::vector<float> out;
    for (const EmnistImage& e : images) {
      out.push_back(e[0]);
      out.push_back(static_cast<float>(images.size()));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("inference queue: batches the waiting requests, refuses when full", "[use][threads]") {
  HeldModel model;
  std::promise<void> release;
  model.release = release.get_future().share();
  auto entered = model.entered.get_future();
  std::optional<std::future<std::vector<float>>> a, b, c, d;
  {
    InferenceQueue queue([&model](std::span<const EmnistImage> x) { return model(x); }, 2, 2, 8);
    a = queue.submit({image(1)});
    REQUIRE(a);
    entered.wait();  // the worker holds a's batch: the queue is empty again
    b = queue.submit({image(2), image(3)});
    c = queue.submit({image(4)});
    REQUIRE(b);
    REQUIRE(c);
    d = queue.submit({image(5)});  // two waiting, a queue of two: refused
    CHECK_FALSE(d);
    release.set_value();
    CHECK(a->get() == std::vector<float>{1, 1});
    // b and c waited together: one batch of 3, each its own rows.
    CHECK(b->get() == std::vector<float>{2, 3, 3, 3});
    CHECK(c->get() == std::vector<float>{4, 3});
  }
  CHECK(model.batch_sizes == std::vector<size_t>{1, 3});
}

TEST_CASE("inference queue: a failing batch fails its requests; destruction drains the queue",
          "[use][threads]") {
  std::promise<void> go;
  auto gate = go.get_future().share();
  int calls = 0;
  std::optional<std::future<std::vector<float>>> a, b;
  {
    InferenceQueue queue(
        [&](std::span<const EmnistImage> x) -> std::vector<float> {
          gate.wait();
          if (++calls == 1) throw std::runtime_error("the backend failed");
          return std::vector<float>(x.size() * 2, 0.5f);
        },
        2, 4, 1);
    a = queue.submit({image(1)});
    b = queue.submit({image(2)});  // max_batch 1: a batch of its own
    go.set_value();
  }  // destruction waits for both
  REQUIRE(a);
  REQUIRE(b);
  CHECK_THROWS_WITH(a->get(), "the backend failed");
  CHECK(b->get() == std::vector<float>{0.5f, 0.5f});
}
