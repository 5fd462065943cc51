// Softmax and softmax cross-entropy on the CPU backend: known logits with their log-sum-exp by
// hand, stability on huge logits, the gradient (softmax - onehot) / B, and finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "cpu/gradient_check.hpp"
#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu softmax cross-entropy on known logits", "[cpu][loss]") {
  auto be = make_cpu_backend();
  // Row 0: log-sum-exp(1, 2, 3) = 3 + log(1 + e^-1 + e^-2) = 3.40760596..., label 2: loss
  // 0.40760596. Row 1: all equal, log-sum-exp = log 3, label 1: loss log 3 = 1.09861229. Row 2: row
  // 0 shifted by 1000 (exp(1002) overflows a naive float sum): the same loss.
  std::vector<float> logits = {1, 2, 3, 0, 0, 0, 1001, 1002, 1003};
  std::vector<int32_t> labels = {2, 1, 2};
  const double lse0 = 3.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
  const double loss0 = lse0 - 3.0, loss1 = std::log(3.0);
  std::vector<float> d = nan_vector(9);
  float loss = NAN;
  be->softmax_cross_entropy(view(logits, {3, 3}), labels.data(), view(d, {3, 3}), &loss, {});
  CHECK(loss == Approx((2 * loss0 + loss1) / 3).epsilon(1e-6));

  const double p0[3] = {std::exp(1 - lse0), std::exp(2 - lse0), std::exp(3 - lse0)};
  const std::vector<double> expected = {p0[0] / 3, p0[1] / 3,         (p0[2] - 1) / 3,
                                        1.0 / 9,   (1.0 / 3 - 1) / 3, 1.0 / 9,
                                        p0[0] / 3, p0[1] / 3,         (p0[2] - 1) / 3};
  for (size_t i = 0; i < 9; ++i) CHECK(d[i] == Approx(expected[i]).margin(1e-7));

  // Without a gradient view only the loss is computed.
  float loss_only = NAN;
  be->softmax_cross_entropy(view(logits, {3, 3}), labels.data(), Tensor(), &loss_only, {});
  CHECK(loss_only == loss);

  std::vector<float> probs = nan_vector(9);
  be->softmax(view(logits, {3, 3}), view(probs, {3, 3}));
  for (int row : {0, 2}) {
    for (int j = 0; j < 3; ++j)
      CHECK(probs[static_cast<size_t>(row * 3 + j)] == Approx(p0[j]).margin(1e-7));
  }
  for (int j = 3; j < 6; ++j) CHECK(probs[static_cast<size_t>(j)] == Approx(1.0 / 3).margin(1e-7));
}

TEST_CASE("cpu softmax cross-entropy rejects labels out of range", "[cpu][loss]") {
  auto be = make_cpu_backend();
  std::vector<float> logits = {1, 2, 3, 4};
  std::vector<int32_t> labels = {0, 2};
  float loss = 0;
  CHECK_THROWS(be->softmax_cross_entropy(view(logits, {2, 2}), labels.data(), Tensor(), &loss, {}));
  // label_smoothing outside [0, 1).
  labels = {0, 1};
  CHECK_THROWS(be->softmax_cross_entropy(view(logits, {2, 2}), labels.data(), Tensor(), &loss,
                                         CrossEntropyParams{1.0f, nullptr}));
  CHECK_THROWS(be->softmax_cross_entropy(view(logits, {2, 2}), labels.data(), Tensor(), &loss,
                                         CrossEntropyParams{-0.1f, nullptr}));
}

TEST_CASE(
    "cpu softmax cross-entropy with label smoothing and class weights: the weighted mean of the "
    "smoothed target's cross-entropy",
    "[cpu][loss]") {
  // Against sum_r w[y_r] (-sum_j q_j log p_rj) / sum_r w[y_r] and w[y_r] (p - q) / sum w in
  // double, q_j = eps / K + (1 - eps) [j == label] (PyTorch's CrossEntropyLoss(weight=w,
  // label_smoothing=eps) where eps = 0; with both, the row's weight is its label's).
  auto be = make_cpu_backend();
  const int64_t batch = 5, classes = 6;
  const auto logits = uniform(static_cast<size_t>(batch * classes), -4, 4, 131);
  const std::vector<int32_t> labels = {0, 5, 2, 2, 4};
  std::vector<float> class_weights = {0.5f, 1.0f, 2.0f, 1.0f, 3.0f, 0.25f};
  for (const float eps : {0.0f, 0.2f}) {
    for (const bool weighted : {false, true}) {
      CAPTURE(eps, weighted);
      auto d = nan_vector(logits.size());
      float loss = NAN;
      auto z = logits;
      be->softmax_cross_entropy(view(z, {batch, classes}), labels.data(), view(d, {batch, classes}),
                                &loss,
                                CrossEntropyParams{eps, weighted ? class_weights.data() : nullptr});
      double total_weight = 0.0;
      for (int64_t r = 0; r < batch; ++r)
        total_weight += weighted ? class_weights[static_cast<size_t>(labels[r])] : 1.0;
      double expected = 0.0;
      for (int64_t r = 0; r < batch; ++r) {
        const double w = weighted ? class_weights[static_cast<size_t>(labels[r])] : 1.0;
        const float* row = logits.data() + r * classes;
        double lse = 0.0;
        for (int64_t j = 0; j < classes; ++j) lse += std::exp(static_cast<double>(row[j]));
        lse = std::log(lse);
        for (int64_t j = 0; j < classes; ++j) {
          const double q = eps / static_cast<double>(classes) + (j == labels[r] ? 1.0 - eps : 0.0);
          const double log_p = static_cast<double>(row[j]) - lse;
          expected -= w * q * log_p;
          const double grad = w * (std::exp(log_p) - q) / total_weight;
          CHECK(d[static_cast<size_t>(r * classes + j)] == Approx(grad).margin(1e-7));
        }
      }
      expected /= total_weight;
      CHECK(loss == Approx(expected).epsilon(1e-6));
    }
  }
  // Smoothing changes the loss.
  float plain = NAN, smoothed = NAN;
  auto z = logits;
  be->softmax_cross_entropy(view(z, {batch, classes}), labels.data(), Tensor(), &plain, {});
  be->softmax_cross_entropy(view(z, {batch, classes}), labels.data(), Tensor(), &smoothed,
                            CrossEntropyParams{0.2f, nullptr});
  CHECK(std::abs(plain - smoothed) > 1e-3f);
}

TEST_CASE("cpu softmax cross-entropy gradient matches finite differences",
          "[cpu][loss][gradcheck]") {
  auto be = make_cpu_backend();
  const int64_t batch = 4, classes = 7;
  auto logits = uniform(static_cast<size_t>(batch * classes), -3, 3, 111);
  std::vector<int32_t> labels = {0, 6, 3, 3};
  std::vector<float> class_weights = {0.5f, 1.0f, 2.0f, 1.5f, 3.0f, 0.25f, 1.0f};
  for (const float smoothing : {0.0f, 0.3f})
    for (const bool weighted : {false, true}) {
      CAPTURE(smoothing, weighted);
      const CrossEntropyParams params{smoothing, weighted ? class_weights.data() : nullptr};
      // The objective is the loss itself (r = 1 on the single output).
      const auto objective = [&] {
        float loss = NAN;
        be->softmax_cross_entropy(view(logits, {batch, classes}), labels.data(), Tensor(), &loss,
                                  params);
        return static_cast<double>(loss);
      };
      auto d = nan_vector(logits.size());
      float loss = NAN;
      be->softmax_cross_entropy(view(logits, {batch, classes}), labels.data(),
                                view(d, {batch, classes}), &loss, params);
      expect_gradients(objective, {{"logits", &logits, d}});
    }
}

}  // namespace emnist::test
