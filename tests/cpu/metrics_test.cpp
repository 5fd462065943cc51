// Metrics on the CPU backend: the confusion matrix on a hand case including ties (the first maximum
// is the prediction), accumulated onto earlier counts; and the epoch loss sum.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu confusion matrix by hand with ties", "[cpu][metrics]") {
  auto be = make_cpu_backend();
  std::vector<float> logits = {0.1f,  0.5f,  0.2f,   // label 1, predicted 1
                               0.7f,  0.7f,  0.1f,   // label 2, tie between 0 and 1: predicted 0
                               0.3f,  0.3f,  0.3f,   // label 0, all tied: predicted 0
                               -1.0f, -2.0f, 5.0f,   // label 2, predicted 2
                               0.0f,  4.0f,  4.0f};  // label 0, tie between 1 and 2: predicted 1
  std::vector<int32_t> labels = {1, 2, 0, 2, 0};
  std::vector<int64_t> confusion(9, 0);
  confusion[4] = 10;  // accumulates onto what is there
  be->confusion_accumulate(view(logits, {5, 3}), labels.data(), confusion.data());
  // confusion[true * 3 + predicted]
  CHECK(confusion == std::vector<int64_t>{1, 1, 0,   //
                                          0, 11, 0,  //
                                          1, 0, 1});

  std::vector<int32_t> bad = {1, 3, 0, 2, 0};
  CHECK_THROWS(be->confusion_accumulate(view(logits, {5, 3}), bad.data(), confusion.data()));
}

TEST_CASE("cpu loss accumulation", "[cpu][metrics]") {
  auto be = make_cpu_backend();
  double sum = 1.5;
  const float a = 0.25f, b = 2.0f;
  be->loss_accumulate(&a, &sum, 128, nullptr, nullptr);
  be->loss_accumulate(&b, &sum, 3, nullptr, nullptr);
  CHECK(sum == 1.5 + 0.25 * 128 + 2.0 * 3);
}

TEST_CASE("cpu loss accumulation records the first step whose loss was not finite",
          "[cpu][metrics]") {
  auto be = make_cpu_backend();
  double sum = 0.0;
  int64_t first = -1;
  StepScalars s;
  const float fine = 0.5f, nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  s.step = 4;
  be->loss_accumulate(&fine, &sum, 8, &s, &first);
  CHECK(first == -1);
  s.step = 5;
  be->loss_accumulate(&inf, &sum, 8, &s, &first);
  CHECK(first == 5);
  s.step = 6;
  be->loss_accumulate(&nan, &sum, 8, &s, &first);
  CHECK(first == 5);  // the first one stays
  CHECK(std::isnan(sum));
  CHECK_THROWS(be->loss_accumulate(&fine, &sum, 8, nullptr, &first));
}

}  // namespace emnist::test
