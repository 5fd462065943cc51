#include <catch2/catch.hpp>
#include <cmath>

#include "train/schedule.hpp"

using emnist::LrSchedule;
using emnist::TrainConfig;

namespace {

TrainConfig schedule_config(const std::string& kind, int epochs, double lr) {
  TrainConfig t;
  t.schedule = emnist::parse_choice<emnist::ScheduleKind>(kind, "train.schedule");
  t.epochs = epochs;
  t.lr = lr;
  return t;
}

}  // namespace

TEST_CASE("schedule: constant keeps the rate", "[schedule]") {
  const LrSchedule s(schedule_config("constant", 5, 0.01), 7);
  for (int e = 0; e < 5; ++e)
    for (int step = 0; step < 7; ++step) CHECK(s.lr(e, step) == 0.01);
}

TEST_CASE("schedule: step multiplies by gamma every step_size epochs", "[schedule]") {
  TrainConfig t = schedule_config("step", 6, 0.1);
  t.step_size = 2;
  t.gamma = 0.5;
  const LrSchedule s(t, 3);
  // lr * gamma^floor(epoch / step_size)
  const double expected[] = {0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
  for (int e = 0; e < 6; ++e) {
    CHECK(s.lr(e, 0) == Approx(expected[e]).epsilon(1e-15));
    CHECK(s.lr(e, 2) == Approx(expected[e]).epsilon(1e-15));
  }
}

TEST_CASE("schedule: cosine per epoch from lr down towards min_lr", "[schedule]") {
  TrainConfig t = schedule_config("cosine", 4, 1.0);
  t.min_lr = 0.0;
  const LrSchedule s(t, 10);
  // (1 + cos(pi e / 4)) / 2 for e = 0..3: 1, (1 + sqrt(2)/2)/2, 1/2, (1 - sqrt(2)/2)/2.
  const double h = std::sqrt(2.0) / 2.0;
  CHECK(s.lr(0, 0) == Approx(1.0));
  CHECK(s.lr(1, 5) == Approx((1.0 + h) / 2.0));
  CHECK(s.lr(2, 9) == Approx(0.5));
  CHECK(s.lr(3, 0) == Approx((1.0 - h) / 2.0));

  t.min_lr = 0.2;
  t.lr = 1.2;
  const LrSchedule m(t, 10);
  CHECK(m.lr(0, 0) == Approx(1.2));
  CHECK(m.lr(2, 0) == Approx(0.7));  // 0.2 + 1.0 * 0.5
}

TEST_CASE("schedule: linear warm-up per step, then the schedule over the remaining epochs",
          "[schedule]") {
  TrainConfig t = schedule_config("cosine", 3, 0.1);
  t.warmup_epochs = 1;
  const LrSchedule s(t, 4);
  // Warm-up over 1 epoch x 4 steps: lr * (step + 1) / 4.
  CHECK(s.lr(0, 0) == Approx(0.025));
  CHECK(s.lr(0, 1) == Approx(0.05));
  CHECK(s.lr(0, 2) == Approx(0.075));
  CHECK(s.lr(0, 3) == Approx(0.1));
  // Cosine over the 2 epochs after warm-up: e = 0 gives lr, e = 1 gives (1 + cos(pi/2))/2 lr.
  CHECK(s.lr(1, 0) == Approx(0.1));
  CHECK(s.lr(2, 3) == Approx(0.05));

  TrainConfig st = schedule_config("step", 4, 1.0);
  st.warmup_epochs = 2;
  st.step_size = 1;
  st.gamma = 0.1;
  const LrSchedule w(st, 2);
  CHECK(w.lr(0, 0) == Approx(0.25));  // (0 + 1) / 4 steps of warm-up
  CHECK(w.lr(1, 1) == Approx(1.0));
  CHECK(w.lr(2, 0) == Approx(1.0));  // e = 0 after warm-up
  CHECK(w.lr(3, 0) == Approx(0.1));
}

// train.schedule is an enum: an unknown name stops where it is read, before any schedule exists.
TEST_CASE("schedule: an unknown kind is a user error naming the key and the kinds", "[schedule]") {
  emnist::Config config;
  REQUIRE_THROWS_WITH(emnist::apply_override(config, "train.schedule=linear"),
                      Catch::Contains("train.schedule: \"linear\" is not allowed: use one of "
                                      "constant, step, cosine"));
}
