#include "cpu/gradient_check.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "cpu/op_fixtures.hpp"

namespace emnist::test {

GradCheckResult check_gradients(const std::function<double()>& objective,
                                std::vector<GradTarget>& targets, const GradCheckOptions& options) {
  GradCheckResult result;
  std::ostringstream failures;
  std::string worst;
  double worst_ratio = -1.0;
  for (GradTarget& target : targets) {
    std::vector<float>& values = *target.values;
    if (values.size() != target.analytic.size()) {
      throw std::invalid_argument("gradient check: " + target.name +
                                  " and its gradient differ in size");
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const float original = values[i];
      values[i] = static_cast<float>(original + options.step);
      // The step actually taken in float, which is what the difference must be divided by.
      const double up = static_cast<double>(values[i]) - original;
      const double plus = objective();
      values[i] = static_cast<float>(original - options.step);
      const double down = original - static_cast<double>(values[i]);
      const double minus = objective();
      values[i] = original;

      const double numeric = (plus - minus) / (up + down);
      const double analytic = target.analytic[i];
      const double error = std::fabs(analytic - numeric);
      const double allowed =
          options.abs_tol + options.rel_tol * std::max(std::fabs(analytic), std::fabs(numeric));
      const double ratio = error / allowed;
      ++result.checked;
      std::ostringstream line;
      line << target.name << "[" << i << "]: analytic " << analytic << ", numeric " << numeric
           << ", error " << error << " (allowed " << allowed << ")\n";
      if (!(ratio <= 1.0)) {
        if (result.failures < 10) failures << line.str();
        ++result.failures;
      }
      if (!(ratio <= worst_ratio)) {
        worst_ratio = std::isnan(ratio) ? INFINITY : ratio;
        worst = line.str();
      }
    }
  }
  result.worst_ratio = std::max(worst_ratio, 0.0);
  std::ostringstream report;
  report << result.checked << " derivatives checked, " << result.failures << " outside tolerance\n"
         << "worst: " << worst << failures.str();
  result.report = report.str();
  return result;
}

void expect_gradients(const std::function<double()>& objective, std::vector<GradTarget> targets,
                      const GradCheckOptions& options) {
  for (const GradTarget& t : targets) {
    INFO(t.name << ": analytic gradient elements not finite");
    REQUIRE(count_non_finite(t.analytic) == 0);
  }
  const GradCheckResult result = check_gradients(objective, targets, options);
  INFO(result.report);
  CHECK(result.failures == 0);
}

}  // namespace emnist::test
