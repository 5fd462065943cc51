// The trials of a sweep: each one value per axis on top of the base configuration.
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <set>

#include "emnist/error.hpp"
#include "emnist/sweep.hpp"
#include "emnist/toml_text.hpp"
#include "experiments/sweep_assign.hpp"
#include "experiments/toml_values.hpp"

namespace emnist {
namespace {

std::string describe(const SweepSpec& spec, const std::vector<AxisValue>& choice) {
  std::string out;
  for (size_t a = 0; a < choice.size(); ++a)
    out += (a ? ", " : "") + spec.axes[a].name + " = " + choice[a].label;
  return out;
}

std::vector<TrialPlan> unique(std::vector<TrialPlan> plans) {
  std::set<std::string> seen;
  std::vector<TrialPlan> out;
  for (auto& p : plans)
    if (seen.insert(p.key).second) out.push_back(std::move(p));
  return out;
}

// splitmix64: a counter-based generator, so draw (trial, axis) is the same on every machine and
// does not depend on how many draws came before (std distributions differ between libraries).
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double unit(uint64_t seed, uint64_t trial, uint64_t axis) {
  const uint64_t bits = mix(mix(mix(seed) ^ trial) ^ (axis * 0xD1B54A32D192ED03ull));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;  // [0, 1)
}

AxisValue draw(const Axis& axis, double u) {
  if (!axis.range) {
    const auto n = axis.values.size();
    return axis.values[std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)))];
  }
  if (axis.integer) {
    const auto lo = static_cast<int64_t>(axis.min), hi = static_cast<int64_t>(axis.max);
    const int64_t v = std::min(hi, lo + static_cast<int64_t>(u * static_cast<double>(hi - lo + 1)));
    return {std::to_string(v), {{axis.name, std::to_string(v)}}};
  }
  double v = axis.log ? std::exp(std::log(axis.min) + u * (std::log(axis.max) - std::log(axis.min)))
                      : axis.min + u * (axis.max - axis.min);
  // Three significant digits: a table people can read, and the config holds what the label says.
  v = std::clamp(std::stod(fmt::format("{:.3g}", v)), axis.min, axis.max);
  return {fmt::format("{:.3g}", v), {{axis.name, readable_toml_float(v)}}};
}

}  // namespace

TrialPlan make_trial(const SweepSpec& spec, std::vector<AxisValue> choice) {
  TrialPlan plan;
  plan.config = spec.base;
  for (size_t a = 0; a < choice.size(); ++a)
    for (const auto& [key, text] : choice[a].sets)
      sweep::assign(plan.config, key, text,
                    spec.source + ": axes." + spec.axes[a].name + " = " + choice[a].label);
  try {
    validate(plan.config);
  } catch (const UserError& e) {
    throw UserError(spec.source + ": the trial " + describe(spec, choice) + ": " + e.what());
  }
  plan.key = trial_key(plan.config, spec.folds);
  plan.choice = std::move(choice);
  return plan;
}

std::vector<TrialPlan> expand_grid(const SweepSpec& spec) {
  std::vector<TrialPlan> plans;
  std::vector<size_t> at(spec.axes.size(), 0);
  for (;;) {
    std::vector<AxisValue> choice;
    for (size_t a = 0; a < spec.axes.size(); ++a) choice.push_back(spec.axes[a].values[at[a]]);
    plans.push_back(make_trial(spec, std::move(choice)));
    // Odometer: the last axis turns fastest.
    size_t a = spec.axes.size();
    while (a > 0) {
      --a;
      if (++at[a] < spec.axes[a].values.size()) break;
      at[a] = 0;
      if (a == 0) return unique(std::move(plans));
    }
    if (spec.axes.empty()) return unique(std::move(plans));
  }
}

std::vector<TrialPlan> expand_random(const SweepSpec& spec) {
  std::vector<TrialPlan> plans;
  for (int t = 0; t < spec.random_trials; ++t) {
    std::vector<AxisValue> choice;
    for (size_t a = 0; a < spec.axes.size(); ++a)
      choice.push_back(draw(spec.axes[a], unit(spec.seed, static_cast<uint64_t>(t), a)));
    plans.push_back(make_trial(spec, std::move(choice)));
  }
  return unique(std::move(plans));
}

std::vector<AxisValue> base_choice(const SweepSpec& spec) {
  const std::string base_text = to_toml(spec.base);
  const toml::table resolved = toml::parse(base_text);
  std::vector<AxisValue> choice;
  for (const Axis& axis : spec.axes) {
    AxisValue value{"base", {}};
    if (!axis.bundle) {
      if (const auto* node = resolved.at_path(axis.name).node())
        value.label = sweep::label_text(*node);
    } else {
      for (const AxisValue& v : axis.values) {
        Config c = spec.base;
        for (const auto& [key, text] : v.sets) apply_override(c, key + "=" + text);
        if (to_toml(c) == base_text) {
          value.label = v.label;
          break;
        }
      }
    }
    choice.push_back(std::move(value));
  }
  return choice;
}

std::vector<TrialPlan> expand_axis(const SweepSpec& spec, const std::vector<AxisValue>& incumbent,
                                   size_t axis) {
  std::vector<TrialPlan> plans;
  for (const AxisValue& v : spec.axes.at(axis).values) {
    std::vector<AxisValue> choice = incumbent;
    choice[axis] = v;
    plans.push_back(make_trial(spec, std::move(choice)));
  }
  return unique(std::move(plans));
}

}  // namespace emnist
