#pragma once
// A finite-difference gradient checker in the style of Caffe's GradientChecker. The op under test
// is wrapped in a scalar objective L = sum(y * r) with a fixed random r, so that its backward, fed
// dy = r, must return exactly dL/d(input). Every element of every input and parameter is then
// perturbed by +-step and the central difference (L(+) - L(-)) / (2 step) compared against the
// analytic value.
//
// Tolerance: |analytic - numeric| <= abs_tol + rel_tol * max(|analytic|, |numeric|).
// The ops run in float, so L carries rounding noise of about 6e-8 * |y| * sqrt(outputs) (r is
// O(1)); divided by 2 step = 2e-2 that is 1e-5 to 1e-4 for the small shapes the tests use. The
// truncation error of the central difference is step^2 / 6 * L''' ~ 2e-5 for the smooth ops (and
// zero for the linear ones). abs_tol = 1e-3 is ten times the larger of the two, and rel_tol = 5e-3
// covers the relative rounding of large gradients. A real mistake (a wrong index, a missing term, a
// factor) shows up as an O(1) relative error, hundreds of times the tolerance.
// Inputs must stay away from kinks (ReLU at 0, max-pool ties) by more than step, or the difference
// straddles the kink: the tests construct their inputs so.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace emnist::test {

struct GradTarget {
  std::string name;
  std::vector<float>* values;   // perturbed in place, restored afterwards
  std::vector<float> analytic;  // dL/dvalues from the backward pass
};

struct GradCheckOptions {
  double step = 1e-2;
  double abs_tol = 1e-3;
  double rel_tol = 5e-3;
};

struct GradCheckResult {
  int64_t checked = 0;
  int64_t failures = 0;
  double worst_ratio = 0.0;  // max over elements of error / allowed error: must be <= 1
  std::string report;        // the worst element and the first few failures
};

// objective() runs the op's forward pass on the targets' current values and returns L.
GradCheckResult check_gradients(const std::function<double()>& objective,
                                std::vector<GradTarget>& targets,
                                const GradCheckOptions& options = {});

// The test of an op's backward: REQUIREs every analytic gradient finite (poisoned outputs show an
// element the backward left out), then CHECKs that check_gradients finds no failure, with its
// report as the message.
void expect_gradients(const std::function<double()>& objective, std::vector<GradTarget> targets,
                      const GradCheckOptions& options = {});

}  // namespace emnist::test
