#include <catch2/catch.hpp>

#include "train/progress.hpp"

namespace {

emnist::ProgressFigures figures(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                                double samples_per_second, double eta, double run_eta) {
  emnist::ProgressFigures f;
  f.epoch = epoch;
  f.epochs = epochs;
  f.batch = batch;
  f.batches = batches;
  f.loss = loss;
  f.samples_per_second = samples_per_second;
  f.eta_seconds = eta;
  f.run_eta_seconds = run_eta;
  return f;
}

}  // namespace

TEST_CASE("progress: the line has the documented shape", "[progress]") {
  CHECK(emnist::format_progress(figures(3, 10, 400, 702, 0.41234, 1234.4, 42.2, 425.0)) ==
        "epoch 3/10  [ 400/ 702 batches]  loss 0.4123  1234 samples/s  eta 0:42 (run 7:05)");
  CHECK(emnist::format_progress(figures(1, 2, 5, 12345, 2.0, 10.0, 3725.0, 7450.0)) ==
        "epoch 1/2  [    5/12345 batches]  loss 2.0000  10 samples/s  eta 1:02:05 (run 2:04:10)");
  // The last epoch: the run's time left is the epoch's, said once.
  CHECK(emnist::format_progress(figures(2, 2, 5, 10, 2.0, 10.0, 30.0, 31.0)) ==
        "epoch 2/2  [   5/  10 batches]  loss 2.0000  10 samples/s  eta 0:30");
}

TEST_CASE("progress: the run's time left", "[progress]") {
  // Before an epoch has run whole: this epoch's training time for each epoch to come.
  CHECK(emnist::run_eta_seconds(40.0, 100.0, 3, {}) == 340.0);
  // After one has: its after-training time (validation, checkpoint) for this epoch, and its whole
  // wall time for each to come.
  CHECK(emnist::run_eta_seconds(40.0, 100.0, 3, {90.0, 110.0}) == 40.0 + 20.0 + 3 * 110.0);
  CHECK(emnist::run_eta_seconds(40.0, 100.0, 0, {90.0, 110.0}) == 60.0);
}

TEST_CASE("progress: durations", "[progress]") {
  CHECK(emnist::format_duration(0) == "0:00");
  CHECK(emnist::format_duration(59.6) == "1:00");
  CHECK(emnist::format_duration(600) == "10:00");
  CHECK(emnist::format_duration(3600) == "1:00:00");
  CHECK(emnist::format_duration(-5) == "0:00");
}

TEST_CASE("progress: the terminal's bar", "[progress]") {
  CHECK(emnist::format_progress_bar(figures(3, 10, 400, 702, 0.41234, 1234.4, 42.2, 425.0), 20,
                                    false) ==
        "epoch 3/10 |###########         |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42 (run "
        "7:05)");
  // 400/702 of 20 cells is 11 cells and 3 eighths.
  CHECK(emnist::format_progress_bar(figures(3, 10, 400, 702, 0.41234, 1234.4, 42.2, 425.0), 20,
                                    true) ==
        "epoch 3/10 |███████████▍        |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42 (run "
        "7:05)");
  CHECK(emnist::format_progress_bar(figures(1, 1, 8, 8, 1.0, 10.0, 0.0, 0.0), 4, true) ==
        "epoch 1/1 |████|    8/   8  loss 1.0000  10 samples/s  eta 0:00");
  CHECK(emnist::format_progress_bar(figures(1, 1, 0, 8, 1.0, 10.0, 0.0, 0.0), 4, false) ==
        "epoch 1/1 |    |    0/   8  loss 1.0000  10 samples/s  eta 0:00");
  // Too narrow a terminal for a bar: the figures alone.
  CHECK(emnist::format_progress_bar(figures(2, 5, 5, 10, 0.5, 100.0, 3.0, 9.0), 0, true) ==
        "epoch 2/5     5/  10  loss 0.5000  100 samples/s  eta 0:03 (run 0:09)");
}
