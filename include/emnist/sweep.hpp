#pragma once
// Hyperparameter sweeps: a sweep file (TOML) names a base configuration and the axes to vary, and
// each trial is one resolved configuration. This header holds the pure parts: reading the file,
// expanding it into trials (grid, random, one axis at a time) and the key that names a trial.
// Running trials lives in sweep_run.hpp.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "emnist/choices.hpp"
#include "emnist/config.hpp"

namespace emnist {

// One value of an axis: what the table shows, and the config keys it sets ("train.lr" and the
// value as TOML text, e.g. "0.001" or "\"adam\"").
struct AxisValue {
  std::string label;
  std::vector<std::pair<std::string, std::string>> sets;
  bool operator==(const AxisValue&) const = default;
};

struct Axis {
  std::string name;  // a config key ("train.lr") or a bundle's name ("regularisation")
  bool bundle = false;
  std::vector<AxisValue> values;  // a list, or the bundle's named values
  // A range instead of a list (random mode only): uniform, or log-uniform, in [min, max];
  // integer when both ends are integers.
  bool range = false;
  double min = 0, max = 0;
  bool log = false, integer = false;
};

enum class SweepMode { grid, random, one_at_a_time };
inline constexpr ChoiceName<SweepMode> kSweepModes[] = {
    {SweepMode::grid, "grid"},
    {SweepMode::random, "random"},
    {SweepMode::one_at_a_time, "one_at_a_time"}};
constexpr const auto& choices_of(SweepMode) { return kSweepModes; }
inline const char* mode_name(SweepMode mode) { return choice_name(mode).data(); }

struct SweepSpec {
  std::string source;  // "sweep configs/sweep-mlp.toml", the prefix of every message
  std::string name;    // the file's stem
  std::string description;
  Config base;  // the base file, then the inline sections, then the command line's overrides
  SweepMode mode = SweepMode::grid;
  int random_trials = 0;
  int folds = 5;
  uint64_t seed = 1;          // random draws
  double budget_minutes = 0;  // 0: no budget
  double prune_margin = -1;   // < 0: never stop a trial early
  std::vector<Axis> axes;
  std::string text;                    // the sweep file as given
  std::vector<std::string> overrides;  // the command line's, as "--set key=value", for the record
};

// What the command line adds: applied to the base before the axes, in this order.
struct SweepOverrides {
  std::string data_dir, device;
  std::vector<std::string> sets;  // section.key=value
  int folds = 0;                  // 0: the file's
};

// Reads a sweep file and checks it whole: unknown keys, unknown config keys, empty axes and bad
// values are a UserError naming the file and the key. Every trial's configuration is validated
// here, before anything runs (for one-at-a-time, the whole grid its trials are drawn from).
SweepSpec load_sweep(const std::filesystem::path& path, const SweepOverrides& overrides = {});
// The same from text; `base_dir` resolves the file's `base` path.
SweepSpec parse_sweep(const std::string& text, const std::string& source,
                      const std::filesystem::path& base_dir, const SweepOverrides& overrides = {});

// A trial: one value per axis (in the spec's order) on top of the base.
struct TrialPlan {
  std::vector<AxisValue> choice;  // an empty `sets` keeps the base's value
  Config config;
  std::string key;
};

// The configuration of `choice` (UserError naming the file and the axis when a value is refused).
TrialPlan make_trial(const SweepSpec& spec, std::vector<AxisValue> choice);
// Every combination, the first axis varying slowest; duplicates (same key) dropped.
std::vector<TrialPlan> expand_grid(const SweepSpec& spec);
// spec.random_trials draws (seeded by spec.seed, the same on every machine); duplicates dropped.
std::vector<TrialPlan> expand_random(const SweepSpec& spec);
// The base's own value of each axis: labelled with the base's value for a key, with the bundle
// value the base already matches, else "base"; nothing set.
std::vector<AxisValue> base_choice(const SweepSpec& spec);
// One-at-a-time: every value of axis `axis`, the other axes at `incumbent`.
std::vector<TrialPlan> expand_axis(const SweepSpec& spec, const std::vector<AxisValue>& incumbent,
                                   size_t axis);

// Names a trial by what it computes: a hash of the resolved configuration and the fold count,
// leaving out what cannot change the result (data.dir, train.device, train.log_every), so a sweep
// resumed from another folder or on another device still finds its finished trials. 16 hex digits.
std::string trial_key(const Config& config, int folds);

}  // namespace emnist
