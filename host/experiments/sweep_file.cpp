// load_sweep / parse_sweep: a sweep file, read and checked whole before anything runs.
//
//   base = "mlp.toml"            # optional, relative to the sweep file
//   mode = "one_at_a_time"       # grid (default), random, one_at_a_time
//   random = 20                  # mode random: how many trials
//   folds = 5                    # stratified k-fold cross-validation per trial
//   seed = 1                     # random draws
//   budget_minutes = 60          # start no trial after this
//   prune_margin = 0.05          # stop a trial after fold 1 below the best mean minus this
//   [train]                      # inline overrides of the base, any [data] [model] [train] key
//   epochs = 5
//   [axes]                       # in file order (one_at_a_time visits them in this order)
//   "train.lr" = [1e-3, 3e-3]    # a config key and its values
//   "train.lr" = {min = 1e-4, max = 1e-2, log = true}   # mode random: a range
//   regularisation = ["none", "l2"]                      # a bundle's named values
//   [bundles.regularisation]
//   none = {"train.weight_decay" = 0.0, "model.dropout" = 0.0}
//   l2 = {"train.weight_decay" = 1e-4, "model.dropout" = 0.0}
#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "emnist/error.hpp"
#include "emnist/sweep.hpp"
#include "emnist/toml_text.hpp"
#include "experiments/sweep_assign.hpp"
#include "experiments/toml_values.hpp"
#include "toml_read.hpp"

namespace emnist {
namespace {

const std::vector<std::string> kTopKeys = {
    "base",         "description", "mode",  "random", "folds",   "seed", "budget_minutes",
    "prune_margin", "data",        "model", "train",  "augment", "axes", "bundles"};
const std::vector<std::string> kSections = {"data", "model", "train", "augment"};

// Bigger grids are not validated combination by combination (each axis value still is).
constexpr size_t kMaxValidatedGrid = 20000;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// toml++ tables iterate in key order; sweeps need the file's order (one_at_a_time visits axes in
// it, and a grid's first axis varies slowest).
std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& table) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (const auto& [k, v] : table) entries.emplace_back(std::string(k.str()), &v);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.second->source().begin;
    const auto& pb = b.second->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

// {"model.dropout" = 0.0, train = {l1 = 0.0}} -> ("model.dropout", 0.0), ("train.l1", 0.0).
void flatten(const toml::table& table, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [k, v] : in_file_order(table)) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (const auto* sub = v->as_table())
      flatten(*sub, key, out);
    else
      out.emplace_back(key, v);
  }
}

std::map<std::string, Axis> read_bundles(const toml::table& root, const TomlReader& r,
                                         const Config& base) {
  std::map<std::string, Axis> bundles;
  const toml::node* node = root.get("bundles");
  if (node == nullptr) return bundles;
  const auto* table = node->as_table();
  if (table == nullptr) r.fail("bundles", "expected tables [bundles.NAME]");
  for (const auto& [name, bundle_node] : in_file_order(*table)) {
    const auto* values = bundle_node->as_table();
    if (values == nullptr)
      r.fail("bundles." + name,
             "expected a table of named values, e.g. none = {\"train.l1\" = 0.0}");
    Axis axis;
    axis.name = name;
    axis.bundle = true;
    for (const auto& [value_name, value_node] : in_file_order(*values)) {
      const std::string where = "bundles." + name + "." + value_name;
      const auto* settings = value_node->as_table();
      if (settings == nullptr)
        r.fail(where, "expected an inline table of config keys, e.g. {\"train.l1\" = 1e-5}");
      std::vector<std::pair<std::string, const toml::node*>> keys;
      flatten(*settings, "", keys);
      if (keys.empty()) r.fail(where, "sets nothing: give at least one config key");
      AxisValue value{value_name, {}};
      Config probe = base;
      for (const auto& [key, v] : keys) {
        const std::string text = sweep::toml_text(*v);
        if (text.empty()) r.fail(where + "." + key, "expected a value, got a table");
        sweep::assign(probe, key, text, r.at(where));
        value.sets.emplace_back(key, text);
      }
      axis.values.push_back(std::move(value));
    }
    if (axis.values.empty()) r.fail("bundles." + name, "is empty: give at least one named value");
    bundles.emplace(name, std::move(axis));
  }
  return bundles;
}

Axis read_key_axis(const std::string& key, const toml::node& node, const TomlReader& r,
                   const Config& base) {
  const std::string where = "axes." + key;
  Axis axis;
  axis.name = key;
  if (const auto* list = node.as_array()) {
    if (list->empty()) r.fail(where, "is an empty list: give at least one value");
    for (const auto& item : *list) {
      const std::string text = sweep::toml_text(item);
      if (text.empty()) r.fail(where, "expected values, got a table inside the list");
      Config probe = base;
      sweep::assign(probe, key, text, r.at(where + " = " + text));
      axis.values.push_back({sweep::label_text(item), {{key, text}}});
    }
    return axis;
  }
  const auto* range = node.as_table();
  if (range == nullptr)
    r.fail(where, "expected a list of values, or a range {min = ..., max = ..., log = true}");
  for (const auto& [k, v] : *range)
    if (!contains({"min", "max", "log"}, std::string(k.str())))
      r.fail(where + "." + std::string(k.str()), "unknown key in a range (keys: min, max, log)");
  const toml::node* lo = range->get("min");
  const toml::node* hi = range->get("max");
  if (lo == nullptr || hi == nullptr) r.fail(where, "a range needs both min and max");
  axis.range = true;
  axis.min = r.number(*lo, where + ".min");
  axis.max = r.number(*hi, where + ".max");
  axis.integer = lo->is_integer() && hi->is_integer();
  if (const toml::node* log = range->get("log")) {
    const auto* b = log->as_boolean();
    if (b == nullptr) r.fail(where + ".log", "expected true or false");
    axis.log = b->get();
  }
  if (!(axis.min <= axis.max)) r.fail(where, "min is larger than max");
  if (axis.log && axis.min <= 0) r.fail(where, "a log range needs min > 0");
  // Both ends must be acceptable values of the key.
  for (double end : {axis.min, axis.max}) {
    const std::string text =
        axis.integer ? std::to_string(static_cast<int64_t>(end)) : readable_toml_float(end);
    Config probe = base;
    sweep::assign(probe, key, text, r.at(where + " = " + text));
  }
  return axis;
}

void read_axes(const toml::table& root, const TomlReader& r, SweepSpec& spec,
               std::map<std::string, Axis>& bundles) {
  const toml::node* node = root.get("axes");
  if (node == nullptr || node->as_table() == nullptr || node->as_table()->empty())
    r.fail("axes", "missing: give at least one axis, e.g. [axes] \"train.lr\" = [1e-3, 3e-3]");
  // [axes.train] lr = [...] and "train.lr" = [...] are the same axis.
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (const auto& [k, v] : in_file_order(*node->as_table())) {
    if (contains(kSections, k) && v->is_table()) {
      for (const auto& [sub, sv] : in_file_order(*v->as_table()))
        entries.emplace_back(k + "." + sub, sv);
    } else {
      entries.emplace_back(k, v);
    }
  }
  std::set<std::string> seen;
  for (const auto& [name, v] : entries) {
    if (!seen.insert(name).second) r.fail("axes." + name, "is given twice");
    if (name.find('.') != std::string::npos) {
      spec.axes.push_back(read_key_axis(name, *v, r, spec.base));
      continue;
    }
    const auto bundle = bundles.find(name);
    if (bundle == bundles.end()) {
      std::vector<std::string> names;
      for (const auto& b : bundles) names.push_back(b.first);
      r.fail("axes." + name,
             "is neither a config key (section.key, e.g. \"train.lr\") nor a "
             "bundle: define [bundles." +
                 name + "]" + (names.empty() ? "" : " (bundles here: " + join(names) + ")"));
    }
    const auto* list = v->as_array();
    if (list == nullptr)
      r.fail("axes." + name,
             "expected a list of the bundle's value names, e.g. [\"none\", \"l2\"]");
    if (list->empty()) r.fail("axes." + name, "is an empty list: give at least one value");
    Axis axis;
    axis.name = name;
    axis.bundle = true;
    for (const auto& item : *list) {
      const std::string value = r.string(item, "axes." + name);
      const auto it = std::find_if(bundle->second.values.begin(), bundle->second.values.end(),
                                   [&](const AxisValue& av) { return av.label == value; });
      if (it == bundle->second.values.end()) {
        std::vector<std::string> names;
        for (const auto& av : bundle->second.values) names.push_back(av.label);
        r.fail("axes." + name, "\"" + value + "\" is not a value of [bundles." + name +
                                   "] (values: " + join(names) + ")");
      }
      axis.values.push_back(*it);
    }
    spec.axes.push_back(std::move(axis));
  }
}

void read_settings(const toml::table& root, const TomlReader& r, SweepSpec& spec) {
  for (const auto& [k, v] : root)
    if (!contains(kTopKeys, std::string(k.str())))
      r.fail(std::string(k.str()), "unknown key (sweep keys: " + join(kTopKeys) + ")");
  const toml::node* random = root.get("random");
  if (const toml::node* mode = root.get("mode")) {
    spec.mode = parse_choice<SweepMode>(r.string(*mode, "mode"), r.at("mode"));
  } else if (random != nullptr) {
    spec.mode = SweepMode::random;
  }
  if (spec.mode == SweepMode::random) {
    if (random == nullptr) r.fail("random", "mode = \"random\" needs random = N, the trial count");
    spec.random_trials = static_cast<int>(r.integer(*random, "random", 1, 100000));
  } else if (random != nullptr) {
    r.fail("random", std::string("is for mode = \"random\", and this sweep's mode is ") +
                         mode_name(spec.mode));
  }
  if (const toml::node* n = root.get("folds"))
    spec.folds = static_cast<int>(r.integer(*n, "folds", 2, 100));
  if (const toml::node* n = root.get("seed"))
    spec.seed = static_cast<uint64_t>(r.integer(*n, "seed", 0, INT64_MAX));
  if (const toml::node* n = root.get("budget_minutes")) {
    spec.budget_minutes = r.number(*n, "budget_minutes");
    if (!(spec.budget_minutes >= 0)) r.fail("budget_minutes", "must be 0 (none) or more");
  }
  if (const toml::node* n = root.get("prune_margin")) {
    spec.prune_margin = r.number(*n, "prune_margin");
    if (!(spec.prune_margin >= 0 && spec.prune_margin <= 1))
      r.fail("prune_margin", "must be in [0, 1] (an accuracy difference)");
  }
  if (const toml::node* n = root.get("description")) spec.description = r.string(*n, "description");
}

void read_base(const toml::table& root, const TomlReader& r, const std::filesystem::path& base_dir,
               const SweepOverrides& overrides, Config& config) {
  if (const toml::node* n = root.get("base")) {
    std::filesystem::path path = r.string(*n, "base");
    if (path.is_relative()) path = base_dir / path;
    if (!std::filesystem::is_regular_file(path))
      r.fail("base", path.string() + ": no such file (the path is relative to the sweep file)");
    config = load_config(path);
  }
  for (const auto& section : kSections) {
    const toml::node* n = root.get(section);
    if (n == nullptr) continue;
    const auto* table = n->as_table();
    if (table == nullptr) r.fail(section, "must be a section [" + section + "]");
    for (const auto& [key, v] : in_file_order(*table)) {
      const std::string text = sweep::toml_text(*v);
      if (text.empty()) r.fail("[" + section + "] " + key, "expected a value, got a table");
      sweep::assign(config, section + "." + key, text, r.at("[" + section + "] " + key));
    }
  }
  if (!overrides.data_dir.empty()) config.data.dir = overrides.data_dir;
  if (!overrides.device.empty()) apply_override(config, "train.device=" + overrides.device);
  for (const auto& s : overrides.sets) apply_override(config, s);
  try {
    validate(config);
  } catch (const UserError& e) {
    throw UserError(r.at("base configuration") + ": " + e.what());
  }
}

// A mistake anywhere in the grid is found now, not hours into the sweep.
void validate_trials(const SweepSpec& spec) {
  if (spec.mode == SweepMode::random) {
    expand_random(spec);
    return;
  }
  size_t combinations = 1;
  for (const Axis& axis : spec.axes) {
    if (axis.range)
      throw UserError(spec.source + ": axes." + axis.name +
                      ": a range needs mode = \"random\"; give a list of values for mode " +
                      mode_name(spec.mode));
    combinations = std::min(kMaxValidatedGrid + 1, combinations * axis.values.size());
  }
  if (combinations <= kMaxValidatedGrid) {
    expand_grid(spec);
    return;
  }
  const auto base = base_choice(spec);
  for (size_t a = 0; a < spec.axes.size(); ++a) expand_axis(spec, base, a);
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& source,
                      const std::filesystem::path& base_dir, const SweepOverrides& overrides) {
  const TomlReader r(source);
  const toml::table root = parse_toml(text, source);
  SweepSpec spec;
  spec.source = source;
  read_settings(root, r, spec);
  if (overrides.folds > 0) {
    if (overrides.folds < 2) throw UserError("--folds: cross-validation needs at least 2 folds");
    spec.folds = overrides.folds;
  }
  read_base(root, r, base_dir, overrides, spec.base);
  spec.text = text;
  if (!overrides.data_dir.empty()) spec.overrides.push_back("--data " + overrides.data_dir);
  if (!overrides.device.empty()) spec.overrides.push_back("--device " + overrides.device);
  for (const auto& s : overrides.sets) spec.overrides.push_back("--set " + s);
  if (overrides.folds > 0) spec.overrides.push_back(fmt::format("--folds {}", overrides.folds));
  auto bundles = read_bundles(root, r, spec.base);
  read_axes(root, r, spec, bundles);
  validate_trials(spec);
  return spec;
}

SweepSpec load_sweep(const std::filesystem::path& path, const SweepOverrides& overrides) {
  SweepSpec spec = parse_sweep(
      read_user_file(path, "sweep", "give a sweep TOML file, e.g. configs/sweep-smoke.toml"),
      "sweep " + path.string(), path.parent_path(), overrides);
  spec.name = path.stem().string();
  return spec;
}

}  // namespace emnist
