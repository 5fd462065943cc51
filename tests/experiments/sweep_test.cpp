// Sweep files and their trials: expansion (grid, random, one axis at a time), trial keys, and the
// one-line errors that name the file and the key.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "emnist/error.hpp"
#include "emnist/sweep.hpp"
#include "emnist/sweep_run.hpp"
#include "experiments/csv_read.hpp"
#include "experiments/sweep_table.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

SweepSpec parse(const std::string& text) { return parse_sweep(text, "sweep s.toml", "."); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kBundles = R"(
[bundles.regularisation]
none = {"model.dropout" = 0.0, "train.weight_decay" = 0.0, "train.l1" = 0.0}
l1 = {"model.dropout" = 0.0, "train.weight_decay" = 0.0, "train.l1" = 1e-5}
l2 = {model = {dropout = 0.0}, train = {weight_decay = 1e-4, l1 = 0.0}}
"l2+dropout" = {"model.dropout" = 0.2, "train.weight_decay" = 1e-4, "train.l1" = 0.0}
)";

std::vector<std::string> labels(const TrialPlan& t) {
  std::vector<std::string> out;
  for (const auto& v : t.choice) out.push_back(v.label);
  return out;
}

}  // namespace

TEST_CASE("sweep: a grid is every combination, the first axis slowest, in file order", "[sweep]") {
  const SweepSpec spec = parse(std::string(R"(
[model]
kind = "mlp"
[axes]
"train.optimizer" = ["adam", "sgd"]
regularisation = ["none", "l2", "l2+dropout"]
[axes.train]
lr = [1e-3, 1e-2]
)") + kBundles);
  REQUIRE(spec.axes.size() == 3);
  CHECK(spec.axes[0].name == "train.optimizer");
  CHECK(spec.axes[1].name == "regularisation");
  CHECK(spec.axes[1].bundle);
  CHECK(spec.axes[2].name == "train.lr");
  const auto trials = expand_grid(spec);
  REQUIRE(trials.size() == 12);
  CHECK(labels(trials[0]) == std::vector<std::string>{"adam", "none", "0.001"});
  CHECK(labels(trials[1]) == std::vector<std::string>{"adam", "none", "0.01"});
  CHECK(labels(trials[2]) == std::vector<std::string>{"adam", "l2", "0.001"});
  CHECK(labels(trials[11]) == std::vector<std::string>{"sgd", "l2+dropout", "0.01"});
  // The values reach the configuration; the bundle sets all its keys.
  CHECK(choice_name(trials[11].config.train.optimizer) == "sgd");
  CHECK(trials[11].config.train.lr == 1e-2);
  CHECK(trials[11].config.model.dropout == 0.2);
  CHECK(trials[11].config.train.weight_decay == 1e-4);
  CHECK(trials[2].config.model.dropout == 0.0);
  std::set<std::string> keys;
  for (const auto& t : trials) keys.insert(t.key);
  CHECK(keys.size() == 12);
}

TEST_CASE("sweep: a grid drops trials that resolve to the same configuration", "[sweep]") {
  // 0.2 is the MLP's default dropout: "base" and dropout = 0.2 are one trial.
  const auto spec = parse(R"(
[model]
kind = "mlp"
[axes]
"model.dropout" = [0.2, 0.0, 0.2]
)");
  CHECK(expand_grid(spec).size() == 2);
}

TEST_CASE("sweep: random draws are reproducible, inside their ranges, log-uniform", "[sweep]") {
  const std::string text = R"(
random = 200
seed = 7
[axes]
"train.lr" = {min = 1e-4, max = 1e-2, log = true}
"train.epochs" = {min = 1, max = 3}
"model.activation" = ["relu", "elu"]
)";
  const auto spec = parse(text);
  CHECK(spec.mode == SweepMode::random);
  const auto a = expand_random(spec);
  const auto b = expand_random(parse(text));
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].key == b[i].key);
  int below_1e3 = 0;
  std::set<int> epochs;
  std::set<std::string> activations;
  for (const auto& t : a) {
    CHECK(t.config.train.lr >= 1e-4);
    CHECK(t.config.train.lr <= 1e-2);
    if (t.config.train.lr < 1e-3) ++below_1e3;
    epochs.insert(t.config.train.epochs);
    activations.insert(t.choice[2].label);
  }
  // Log-uniform: half the draws below the geometric middle 1e-3 (uniform would give about 9%).
  CHECK(below_1e3 > static_cast<int>(a.size()) * 35 / 100);
  CHECK(below_1e3 < static_cast<int>(a.size()) * 65 / 100);
  CHECK(epochs == std::set<int>{1, 2, 3});
  CHECK(activations == std::set<std::string>{"relu", "elu"});
  // Another seed, other draws.
  auto other = parse(text);
  other.seed = 8;
  CHECK(expand_random(other)[0].key != a[0].key);
}

TEST_CASE("sweep: one at a time varies each axis around the incumbent", "[sweep]") {
  const auto spec = parse(std::string(R"(
mode = "one_at_a_time"
[model]
kind = "mlp"
[axes]
"train.optimizer" = ["adam", "rmsprop", "sgd"]
regularisation = ["none", "l1", "l2", "dropout"]
"model.batch_norm" = [true, false]
[bundles.regularisation]
none = {"model.dropout" = 0.0}
l1 = {"model.dropout" = 0.0, "train.l1" = 1e-5}
l2 = {"model.dropout" = 0.0, "train.weight_decay" = 1e-4}
dropout = {"model.dropout" = 0.2}
)"));
  const auto base = base_choice(spec);
  // The base's own values: a key's value, and the bundle value it already matches.
  CHECK(labels(TrialPlan{base, {}, {}}) == std::vector<std::string>{"adam", "dropout", "true"});
  const auto stage0 = expand_axis(spec, base, 0);
  REQUIRE(stage0.size() == 3);
  CHECK(labels(stage0[1]) == std::vector<std::string>{"rmsprop", "dropout", "true"});
  // The base's own value is the same trial as the base.
  CHECK(stage0[0].key == make_trial(spec, base).key);
  // Say sgd won: the next axis varies around it.
  auto incumbent = base;
  incumbent[0] = stage0[2].choice[0];
  const auto stage1 = expand_axis(spec, incumbent, 1);
  REQUIRE(stage1.size() == 4);
  for (const auto& t : stage1) CHECK(choice_name(t.config.train.optimizer) == "sgd");
  CHECK(stage1[1].config.train.l1 == 1e-5);
  CHECK(stage1[3].key == stage0[2].key);  // sgd + the base's regularisation, met again
}

TEST_CASE("sweep: the trial key names what a trial computes", "[sweep]") {
  Config a;
  Config b = a;
  b.data.dir = "/elsewhere";
  b.train.device = DeviceChoice::cpu;
  b.train.log_every = 7;
  CHECK(trial_key(a, 5) == trial_key(b, 5));
  CHECK(trial_key(a, 5).size() == 16);
  CHECK(trial_key(a, 5) != trial_key(a, 3));
  // The same from any working directory (config.toml writes data.dir absolute), and the key the
  // trials stored before that change have.
  const std::string here = trial_key(a, 5);
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::temp_directory_path());
  const std::string there = trial_key(a, 5);
  std::filesystem::current_path(cwd);
  CHECK(here == there);
  CHECK(here == "5b6b410824dd9351");  // trial_key of the defaults at ced9b37
  Config c = a;
  c.train.lr = 2e-3;
  CHECK(trial_key(a, 5) != trial_key(c, 5));
  // The default dropout and the same value written out are one configuration.
  Config d = a;
  d.model.dropout = 0.3;
  CHECK(trial_key(a, 5) == trial_key(d, 5));
  // A key added later (at its default above, so the stored key holds) counts once set.
  Config e = a;
  e.train.label_smoothing = 0.1;
  CHECK(trial_key(a, 5) != trial_key(e, 5));
  Config f = a;
  f.train.ema = 0.999;
  CHECK(trial_key(a, 5) != trial_key(f, 5));
  Config g = a;
  g.train.class_weights = ClassWeighting::balanced;
  CHECK(trial_key(a, 5) != trial_key(g, 5));
  Config h = a;
  h.augment.rotation = 5;
  CHECK(trial_key(a, 5) != trial_key(h, 5));
  // The ResNet's keys mean nothing to a CNN (the key above holds), and count for a ResNet.
  Config r = a;
  r.model.kind = ModelKind::resnet;
  Config r2 = r;
  r2.model.stem = 16;
  CHECK(trial_key(r, 5) != trial_key(r2, 5));
  CHECK(trial_key(r, 5) != trial_key(a, 5));
  // model.pooling, added later: a ResNet that flattens is another trial, the average (the only
  // pooling before the key) keeps the stored keys, and a CNN ignores it.
  Config r3 = r;
  r3.model.pooling = ResnetPooling::none;
  CHECK(trial_key(r, 5) != trial_key(r3, 5));
  Config a2 = a;
  a2.model.pooling = ResnetPooling::none;
  CHECK(trial_key(a, 5) == trial_key(a2, 5));
}

TEST_CASE("sweep: settings, the base file and overrides", "[sweep]") {
  test::TempDir dir;
  test::write_file(dir / "base.toml", "[model]\nkind = \"mlp\"\n[train]\nepochs = 4\n");
  test::write_file(dir / "s.toml", R"(
base = "base.toml"
folds = 3
budget_minutes = 30
prune_margin = 0.05
description = "d"
[train]
lr = 2e-3
[axes]
"train.batch_size" = [32, 64]
)");
  SweepOverrides ov;
  ov.sets = {"train.epochs=2"};
  ov.device = "cpu";
  ov.data_dir = "/data";
  const SweepSpec spec = load_sweep(dir / "s.toml", ov);
  CHECK(spec.name == "s");
  CHECK(spec.folds == 3);
  CHECK(spec.budget_minutes == 30);
  CHECK(spec.prune_margin == 0.05);
  CHECK(choice_name(spec.base.model.kind) == "mlp");
  CHECK(spec.base.train.lr == 2e-3);
  CHECK(spec.base.train.epochs == 2);
  CHECK(spec.base.train.device == DeviceChoice::cpu);
  CHECK(spec.base.data.dir == "/data");
  ov.folds = 4;
  CHECK(load_sweep(dir / "s.toml", ov).folds == 4);
}

TEST_CASE("sweep: mistakes are one line naming the file and the key", "[sweep]") {
  struct Case {
    std::string text, expected;
  };
  const std::vector<Case> cases = {
      {"colour = 1\n[axes]\n\"train.lr\" = [1e-3]\n", "sweep s.toml: colour: unknown key"},
      {"[axes]\n\"train.colour\" = [1]\n",
       "sweep s.toml: axes.train.colour = 1: unknown key 'train.colour'"},
      {"[axes]\n\"train.lr\" = []\n", "sweep s.toml: axes.train.lr: is an empty list"},
      {"[axes]\n\"train.lr\" = [1e-3, -1]\n",
       "sweep s.toml: axes.train.lr = -1: -1 is out of range"},
      {"[axes]\n\"model.activation\" = [\"relu\", \"swish\"]\n",
       "sweep s.toml: axes.model.activation = \"swish\": \"swish\" is not allowed"},
      {"[axes]\nregularisation = [\"none\"]\n", "sweep s.toml: axes.regularisation: is neither"},
      {std::string("[axes]\nregularisation = [\"l3\"]\n") + kBundles,
       "sweep s.toml: axes.regularisation: \"l3\" is not a value of [bundles.regularisation]"},
      {"[bundles.r]\nx = {\"train.nope\" = 1}\n[axes]\nr = [\"x\"]\n",
       "sweep s.toml: bundles.r.x: unknown key 'train.nope'"},
      {"[axes]\n\"train.lr\" = {min = 1e-4, max = 1e-2}\n",
       "sweep s.toml: axes.train.lr: a range needs mode = \"random\""},
      {"mode = \"random\"\n[axes]\n\"train.lr\" = [1e-3]\n",
       "sweep s.toml: random: mode = \"random\" needs random = N"},
      {"mode = \"spiral\"\n[axes]\n\"train.lr\" = [1e-3]\n",
       "sweep s.toml: mode: \"spiral\" is not allowed"},
      {"folds = 1\n[axes]\n\"train.lr\" = [1e-3]\n",
       "sweep s.toml: folds: 1 is out of range: allowed 2 to 100"},
      {"[train]\nepochs = 0\n[axes]\n\"train.lr\" = [1e-3]\n",
       "sweep s.toml: [train] epochs: 0 is out of range"},
      {"", "sweep s.toml: axes: missing"},
      {"[axes\n", "sweep s.toml:1:"},
      // A cross-key mistake in one combination of the grid is found before anything runs.
      {"[train]\nschedule = \"cosine\"\nmin_lr = 1e-3\n[axes]\n\"train.lr\" = [1e-2, 1e-4]\n",
       "sweep s.toml: the trial train.lr = 0.0001: train.min_lr"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const std::string message = error_of(c.text);
    CHECK(message.rfind(c.expected, 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("sweep: --shard i/N", "[sweep]") {
  CHECK(parse_shard("0/4") == std::pair{0, 4});
  CHECK(parse_shard("3/4") == std::pair{3, 4});
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "1/0", "1/2x"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_shard(bad), UserError);
  }
}

TEST_CASE("sweep: the table sorts finished trials by mean accuracy, then pruned, then failed",
          "[sweep]") {
  // Binary fractions, so that equal means are equal.
  auto row = [](int index, const std::string& status, std::vector<double> acc, double loss) {
    sweep::TableRow r;
    r.plan.index = index;
    r.result.status = status;
    for (double a : acc) r.result.folds.push_back({1, a, loss, 0, 0, 0});
    return r;
  };
  std::vector<sweep::TableRow> rows = {
      row(0, "pruned", {0.875}, 0.5), row(1, "done", {0.5, 0.75}, 0.5), row(2, "failed", {}, 0),
      row(3, "done", {0.75, 0.75}, 0.5), row(4, "done", {0.625, 0.625}, 0.25)};
  sweep::sort_rows(rows);
  std::vector<int> order;
  for (const auto& r : rows) order.push_back(r.plan.index);
  CHECK(order == std::vector<int>{3, 4, 1, 0, 2});  // 1 and 4 tie at 0.625: the lower loss first
  CHECK(rows[0].result.std_accuracy() == 0);
  CHECK(std::isnan(rows[3].result.std_accuracy()));
}

TEST_CASE("sweep: CSV fields as the engine quotes them read back", "[sweep]") {
  const auto rows = sweep::parse_csv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,,3\nlast");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"a", "b,c", "say \"hi\""});
  CHECK(rows[1] == std::vector<std::string>{"1", "", "3"});
  CHECK(rows[2] == std::vector<std::string>{"last"});
}

TEST_CASE("sweep: the shipped sweep files load, every trial a valid configuration", "[sweep]") {
  for (const char* name :
       {"sweep-smoke", "sweep-mlp", "sweep-cnn", "sweep-recipe-mlp", "sweep-recipe-cnn"}) {
    CAPTURE(name);
    const SweepSpec spec = load_sweep(std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" /
                                      (std::string(name) + ".toml"));
    CHECK_FALSE(spec.axes.empty());
  }
  // The recipe sweeps search the tuning options on the ByMerge corpus's training part.
  const SweepSpec cnn =
      load_sweep(std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / "sweep-recipe-cnn.toml");
  CHECK(cnn.base.data.dataset == "emnist-bymerge");
  CHECK(cnn.base.data.split == SplitKind::holdout);
  CHECK(cnn.base.model.kind == ModelKind::cnn);
}
