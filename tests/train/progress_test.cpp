#include <catch2/catch.hpp>

#include "train/progress.hpp"

TEST_CASE("progress: the line has the documented shape", "[progress]") {
  CHECK(emnist::format_progress(3, 10, 400, 702, 0.41234, 1234.4, 42.2) ==
        "epoch 3/10  [ 400/ 702 batches]  loss 0.4123  1234 samples/s  eta 0:42");
  CHECK(emnist::format_progress(1, 2, 5, 12345, 2.0, 10.0, 3725.0) ==
        "epoch 1/2  [    5/12345 batches]  loss 2.0000  10 samples/s  eta 1:02:05");
}

TEST_CASE("progress: durations", "[progress]") {
  CHECK(emnist::format_duration(0) == "0:00");
  CHECK(emnist::format_duration(59.6) == "1:00");
  CHECK(emnist::format_duration(600) == "10:00");
  CHECK(emnist::format_duration(3600) == "1:00:00");
  CHECK(emnist::format_duration(-5) == "0:00");
}

TEST_CASE("progress: the terminal's bar", "[progress]") {
  CHECK(emnist::format_progress_bar(3, 10, 400, 702, 0.41234, 1234.4, 42.2, 20, false) ==
        "epoch 3/10 |###########         |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42");
  // 400/702 of 20 cells is 11 cells and 3 eighths.
  CHECK(emnist::format_progress_bar(3, 10, 400, 702, 0.41234, 1234.4, 42.2, 20, true) ==
        "epoch 3/10 |███████████▍        |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42");
  CHECK(emnist::format_progress_bar(1, 1, 8, 8, 1.0, 10.0, 0.0, 4, true) ==
        "epoch 1/1 |████|    8/   8  loss 1.0000  10 samples/s  eta 0:00");
  CHECK(emnist::format_progress_bar(1, 1, 0, 8, 1.0, 10.0, 0.0, 4, false) ==
        "epoch 1/1 |    |    0/   8  loss 1.0000  10 samples/s  eta 0:00");
  // Too narrow a terminal for a bar: the figures alone.
  CHECK(emnist::format_progress_bar(2, 5, 5, 10, 0.5, 100.0, 3.0, 0, true) ==
        "epoch 2/5     5/  10  loss 0.5000  100 samples/s  eta 0:03");
}
