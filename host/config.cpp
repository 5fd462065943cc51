// The configuration's keys as one declarative table: each key's section, name, what it accepts,
// a line of help, how it reads and how config.toml writes it. Parsing, every message, to_toml and
// config_keys (the README's key table is checked against it) all come from the table.
#include "emnist/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <sstream>
#include <type_traits>

#include "emnist/error.hpp"
#include "emnist/toml_text.hpp"
#include "toml_read.hpp"

namespace emnist {
namespace {

// A real interval, for reading and for what a message offers: "(0, 10]".
struct Interval {
  double lo;
  bool lo_open;
  double hi;
  bool hi_open;

  bool contains(double x) const {
    return std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
  }
  std::string text() const {
    return std::string(lo_open ? "(" : "[") + shortest_text(lo) + ", " + shortest_text(hi) +
           (hi_open ? ")" : "]");
  }
};

constexpr int64_t kBig = std::numeric_limits<int32_t>::max();
constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();

// One key of the table: where it lives, what it accepts, how it reads and how config.toml writes
// it. The default is whatever a default-constructed Config holds.
struct KeySpec {
  std::string section, name;
  std::string allowed;  // what messages and the README offer
  std::string help;
  std::function<void(Config&, const toml::node&, const TomlReader&, const std::string&)> read;
  std::function<std::string(const Config&)> write;
};

// The factories below take an accessor, `[](auto& c) -> auto& { return c.train.lr; }`, that
// serves both the reader (Config&) and the writer (const Config&); `read` turns the TOML value
// into the member's value (or fails naming the key) and `write` the member into TOML.
template <typename Get, typename Read, typename Write>
KeySpec member_key(std::string section, std::string name, std::string allowed, std::string help,
                   Get get, Read read, Write write) {
  using T = std::remove_cvref_t<decltype(get(std::declval<Config&>()))>;
  return {std::move(section),
          std::move(name),
          std::move(allowed),
          std::move(help),
          [get, read](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
            get(c) = static_cast<T>(read(n, r, key));
          },
          [get, write](const Config& c) { return write(get(c)); }};
}

template <typename Get>
KeySpec integer_key(std::string section, std::string name, Get get, int64_t lo, int64_t hi,
                    std::string help) {
  std::string allowed = hi == kBig || hi == kHuge
                            ? (lo == 0 ? "≥ 0" : "≥ " + std::to_string(lo))
                            : std::to_string(lo) + " to " + std::to_string(hi);
  return member_key(
      std::move(section), std::move(name), std::move(allowed), std::move(help), get,
      [lo, hi](const toml::node& n, const TomlReader& r, const std::string& key) {
        return r.integer(n, key, lo, hi);
      },
      [](auto v) { return std::to_string(v); });
}

double read_real(const toml::node& n, const TomlReader& r, const std::string& key,
                 const Interval& range) {
  const double x = r.number(n, key);
  if (!range.contains(x)) {
    std::ostringstream ss;
    ss << x << " is out of range: allowed " << range.text();
    r.fail(key, ss.str());
  }
  return x;
}

template <typename Get>
KeySpec real_key(std::string section, std::string name, Get get, Interval range, std::string help) {
  return member_key(
      std::move(section), std::move(name), range.text(), std::move(help), get,
      [range](const toml::node& n, const TomlReader& r, const std::string& key) {
        return read_real(n, r, key, range);
      },
      [](double v) { return toml_float(v); });
}

bool read_bool(const toml::node& n, const TomlReader& r, const std::string& key) {
  return r.boolean(n, key);
}

template <typename Get>
KeySpec bool_key(std::string section, std::string name, Get get, std::string help) {
  return member_key(std::move(section), std::move(name), "true, false", std::move(help), get,
                    read_bool, toml_bool);
}

// A path as config.toml keeps it: absolute, so that it means the same from any working directory.
std::string absolute_path(const std::filesystem::path& path) {
  if (path.empty()) return "";
  std::error_code ec;
  const std::filesystem::path full = std::filesystem::absolute(path, ec);
  return (ec ? path : full.lexically_normal()).string();
}

std::string read_text(const toml::node& n, const TomlReader& r, const std::string& key) {
  return r.string(n, key);
}

std::string write_path(const std::string& path) { return toml_string(absolute_path(path)); }

// A file the user names (dataset "idx"), written absolute.
template <typename Get>
KeySpec file_key(std::string section, std::string name, Get get, std::string help) {
  return member_key(std::move(section), std::move(name), "file", std::move(help), get, read_text,
                    write_path);
}

template <typename Get>
KeySpec choice_key(std::string section, std::string name, Get get, std::string help) {
  using E = std::remove_cvref_t<decltype(get(std::declval<Config&>()))>;
  return member_key(
      std::move(section), std::move(name), choice_names(E{}), std::move(help), get,
      [](const toml::node& n, const TomlReader& r, const std::string& key) {
        return *choice_from_name<E>(r.choice(n, key, choice_name_list<E>()));
      },
      [](E v) { return toml_string(std::string(choice_name(v))); });
}

const std::vector<std::string> kDatasets = {"emnist-balanced", "emnist-byclass", "emnist-bymerge",
                                            "emnist-letters",  "emnist-digits",  "emnist-mnist",
                                            "mnist",           "fashion-mnist",  "idx"};

// An array of integers in [lo, hi]; `example` is what the message offers.
std::vector<int> read_integers(const toml::node& node, const TomlReader& r, const std::string& key,
                               int64_t lo, int64_t hi, const std::string& example) {
  const auto* arr = node.as_array();
  if (arr == nullptr) r.fail(key, "expected an array of integers, e.g. " + example);
  std::vector<int> out;
  for (const auto& item : *arr) out.push_back(static_cast<int>(r.integer(item, key, lo, hi)));
  return out;
}

std::string write_integers(const std::vector<int>& values) {
  std::vector<std::string> w;
  for (int v : values) w.push_back(std::to_string(v));
  return "[" + join(w) + "]";
}

// One of the ResNet's per-stage lists: at least one stage.
template <typename Get>
KeySpec stage_list_key(std::string name, Get get, int64_t lo, int64_t hi, std::string example,
                       std::string help) {
  return member_key(
      "model", std::move(name), "integers " + std::to_string(lo) + " to " + std::to_string(hi),
      std::move(help), get,
      [lo, hi, example](const toml::node& n, const TomlReader& r, const std::string& key) {
        auto values = read_integers(n, r, key, lo, hi, example);
        if (values.empty())
          r.fail(key, "[] has no stages: give one entry a stage, e.g. " + example);
        return values;
      },
      write_integers);
}

std::vector<ConvItem> read_conv(const toml::node& node, const TomlReader& r,
                                const std::string& key) {
  const auto* arr = node.as_array();
  if (arr == nullptr)
    r.fail(key, "expected an array of channel counts and \"pool\", e.g. [32, 32, \"pool\"]");
  std::vector<ConvItem> out;
  for (const auto& item : *arr) {
    if (item.is_string()) {
      if (item.as_string()->get() != "pool")
        r.fail(key, "\"" + item.as_string()->get() +
                        "\" is not allowed: use channel counts or \"pool\"");
      out.push_back({true, 0});
    } else {
      out.push_back({false, static_cast<int>(r.integer(item, key, 1, 1 << 16))});
    }
  }
  return out;
}

const Interval kFraction{0, false, 0.5, true};    // [0, 0.5)
const Interval kUnitOpen{0, false, 1, true};      // [0, 1)
const Interval kUnitClosed{0, false, 1, false};   // [0, 1]
const Interval kUnitPositive{0, true, 1, false};  // (0, 1]

// A key's section, name and member, each written once: FIELD(train, lr) is "train", "lr" and the
// accessor of c.train.lr.
#define FIELD(section, name) \
#section, #name, [](auto& c) -> auto& { return c.section.name; }

// Every key, in the order config.toml and the README list them.
const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> k;
    k.push_back({"data", "dataset", join(kDatasets), "which dataset (the data catalog's names)",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   c.data.dataset = r.choice(n, key, kDatasets);
                 },
                 [](const Config& c) { return toml_string(c.data.dataset); }});
    // Written resolved and absolute, so that config.toml names the folder the run read from any
    // working directory (eval, report, resume, a sweep's best.toml).
    k.push_back(
        {"data", "dir", "folder", "the dataset's folder (empty: its default)",
         [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
           c.data.dir = r.string(n, key);
         },
         [](const Config& c) { return toml_string(absolute_path(c.data.resolved_dir())); }});
    k.push_back(choice_key(FIELD(data, format), "file form: IDX (gzip or not) or Kaggle CSV"));
    k.push_back(choice_key(FIELD(data, split),
                           "official train/test files, or a holdout carved from every file"));
    k.push_back(
        real_key(FIELD(data, val_fraction), kFraction, "validation share of the training data"));
    k.push_back(real_key(FIELD(data, test_fraction), kFraction, "test share (holdout only)"));
    k.push_back(integer_key(FIELD(data, limit), 0, kHuge, "stratified subset size, 0 = all"));
    k.push_back(integer_key(FIELD(data, seed), 0, kHuge, "split seed"));
    k.push_back(file_key(FIELD(data, train_images), "dataset = \"idx\": the training images"));
    k.push_back(file_key(FIELD(data, train_labels), "dataset = \"idx\": the training labels"));
    k.push_back(file_key(FIELD(data, test_images), "dataset = \"idx\": the test images"));
    k.push_back(file_key(FIELD(data, test_labels), "dataset = \"idx\": the test labels"));
    k.push_back(file_key(FIELD(data, mapping), "dataset = \"idx\": the class names (optional)"));

    k.push_back(choice_key(FIELD(model, kind), "the network"));
    // Written resolved: the kind's default when not given ([] is no hidden layer).
    k.push_back({"model", "hidden", "widths",
                 "hidden widths (MLP) or the head's hidden widths (CNN, ResNet)",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   c.model.hidden = read_integers(n, r, key, 1, 1 << 20, "[512, 256, 128]");
                 },
                 [](const Config& c) { return write_integers(c.model.hidden_or_default()); }});
    k.push_back({"model", "conv", "channel counts and \"pool\"", "the CNN's body",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   c.model.conv = read_conv(n, r, key);
                 },
                 [](const Config& c) {
                   std::vector<std::string> w;
                   for (const auto& item : c.model.conv)
                     w.push_back(item.pool ? "\"pool\"" : std::to_string(item.channels));
                   return "[" + join(w) + "]";
                 }});
    k.push_back({"model", "kernel", "3, 5", "the CNN's convolution kernel size",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   const auto v = r.integer(n, key, 1, 99);
                   if (v != 3 && v != 5)
                     r.fail(key, std::to_string(v) + " is not allowed: use 3 or 5");
                   c.model.kernel = static_cast<int>(v);
                 },
                 [](const Config& c) { return std::to_string(c.model.kernel); }});
    k.push_back(integer_key(FIELD(model, stem), 1, 1 << 16,
                            "the ResNet's stem: a 3x3 convolution's channels"));
    k.push_back(stage_list_key(
        "stages", [](auto& c) -> auto& { return c.model.stages; }, 1, 1 << 16, "[32, 64, 128]",
        "the ResNet's stages: each one's channels"));
    k.push_back(stage_list_key(
        "blocks", [](auto& c) -> auto& { return c.model.blocks; }, 1, 64, "[2, 2, 2]",
        "the ResNet's basic residual blocks in each stage"));
    k.push_back(stage_list_key(
        "strides", [](auto& c) -> auto& { return c.model.strides; }, 1, 2, "[1, 2, 2]",
        "the stride of each stage's first block (2 halves the map)"));
    k.push_back(
        choice_key(FIELD(model, pooling),
                   "the ResNet's last map into the head: averaged over the map, or flattened"));
    k.push_back(choice_key(
        "model", "activation", [](auto& c) -> auto& { return c.model.activation.kind; },
        "the hidden layers' activation"));
    k.push_back(real_key(
        "model", "leaky_slope", [](auto& c) -> auto& { return c.model.activation.leaky_slope; },
        Interval{0, true, 1, true}, "leaky_relu's slope below 0"));
    k.push_back(real_key(
        "model", "elu_alpha", [](auto& c) -> auto& { return c.model.activation.elu_alpha; },
        Interval{0, true, 100, false}, "elu's saturation value"));
    k.push_back(
        bool_key(FIELD(model, batch_norm), "batch norm after each hidden layer and convolution"));
    // Written resolved: the kind's default when not given.
    k.push_back({"model", "dropout", kUnitOpen.text(),
                 "dropout after each hidden layer (ResNet: also after the pooling)",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   c.model.dropout = read_real(n, r, key, kUnitOpen);
                 },
                 [](const Config& c) { return toml_float(c.model.dropout_or_default()); }});

    k.push_back(integer_key(FIELD(train, epochs), 1, 100000, "passes over the training data"));
    k.push_back(integer_key(FIELD(train, batch_size), 1, 65536, "images per step"));
    k.push_back(choice_key(FIELD(train, optimizer), "the update rule"));
    k.push_back(real_key(FIELD(train, lr), Interval{0, true, 10, false}, "learning rate"));
    k.push_back(
        real_key(FIELD(train, momentum), kUnitOpen, "sgd and rmsprop (0 turns momentum off)"));
    k.push_back(bool_key(FIELD(train, nesterov), "Nesterov momentum (sgd)"));
    k.push_back({"train", "betas", "two numbers in [0, 1)", "adam and adamw",
                 [](Config& c, const toml::node& n, const TomlReader& r, const std::string& key) {
                   const auto* arr = n.as_array();
                   if (arr == nullptr || arr->size() != 2)
                     r.fail(key, "expected two numbers in [0, 1), e.g. [0.9, 0.999]");
                   c.train.beta1 = read_real(*arr->get(0), r, key, kUnitOpen);
                   c.train.beta2 = read_real(*arr->get(1), r, key, kUnitOpen);
                 },
                 [](const Config& c) {
                   return "[" + toml_float(c.train.beta1) + ", " + toml_float(c.train.beta2) + "]";
                 }});
    k.push_back(
        real_key(FIELD(train, eps), kUnitPositive, "adam, adamw and rmsprop's denominator term"));
    k.push_back(real_key(FIELD(train, alpha), kUnitOpen, "rmsprop's decay"));
    k.push_back(
        real_key(FIELD(train, weight_decay), kUnitClosed, "L2 on weights (decoupled for adamw)"));
    k.push_back(real_key(FIELD(train, l1), kUnitClosed, "L1 on weights"));
    k.push_back(real_key(FIELD(train, label_smoothing), kUnitOpen,
                         "the training loss's target: 1 - e at the label, e / classes everywhere"));
    k.push_back(choice_key(FIELD(train, class_weights),
                           "the training loss's class weights: none, or balanced (n / (classes * "
                           "count) over the training split)"));
    k.push_back(choice_key(FIELD(train, sampling),
                           "how an epoch draws its training samples: uniform (each once, "
                           "shuffled) or balanced (each draw a class picked uniformly)"));
    k.push_back(real_key(FIELD(train, ema), kUnitOpen,
                         "decay of the weights' moving average, which evaluation and "
                         "model.safetensors use (0: off)"));
    k.push_back(choice_key(FIELD(train, schedule), "learning-rate schedule"));
    k.push_back(
        integer_key(FIELD(train, step_size), 1, 100000, "step schedule: epochs between decays"));
    k.push_back(real_key(FIELD(train, gamma), kUnitPositive, "step schedule: decay factor"));
    k.push_back(real_key(FIELD(train, min_lr), Interval{0, false, 10, false},
                         "cosine schedule: final rate"));
    k.push_back(
        integer_key(FIELD(train, warmup_epochs), 0, 100000, "linear warm-up before the schedule"));
    k.push_back(integer_key(FIELD(train, seed), 0, kHuge, "initialisation, shuffling, dropout"));
    k.push_back(
        choice_key(FIELD(train, device), "where to train (auto: a GPU when one is visible)"));
    k.push_back(choice_key(FIELD(train, precision),
                           "GPU products: strict fp32, or TF32/BF16 tensor cores"));
    k.push_back(bool_key(FIELD(train, deterministic), "bit-identical GPU runs"));
    k.push_back(bool_key(FIELD(train, cuda_graph), "replay each step as a CUDA graph"));
    k.push_back(choice_key(FIELD(train, feeder), "how batches reach the device"));
    k.push_back(integer_key(FIELD(train, log_every), 1, kBig, "steps between progress lines"));
    k.push_back(real_key(FIELD(augment, rotation), Interval{0, false, 90, false},
                         "training images: rotation in degrees, up to this each way"));
    k.push_back(real_key(FIELD(augment, scale), kFraction, "zoom in [1 - scale, 1 + scale)"));
    k.push_back(real_key(FIELD(augment, shear), kUnitClosed,
                         "horizontal shear factor, up to this each way"));
    k.push_back(real_key(FIELD(augment, translate), Interval{0, false, 8, false},
                         "shift in pixels, up to this each way"));
    k.push_back(real_key(FIELD(augment, elastic), Interval{0, false, 8, false},
                         "elastic distortion: a 4x4 grid's points moved up to this many pixels"));
    return k;
  }();
  return table;
}
#undef FIELD

const std::vector<std::string> kSections = {"data", "model", "train", "augment"};

std::vector<std::string> key_names(const std::string& section) {
  std::vector<std::string> names;
  for (const auto& k : keys())
    if (k.section == section) names.push_back(k.name);
  return names;
}

void apply_key(Config& config, const std::string& section, const std::string& name,
               const toml::node& value, const TomlReader& r) {
  if (std::find(kSections.begin(), kSections.end(), section) == kSections.end())
    throw UserError(r.source() + ": unknown section [" + section +
                    "] (sections: " + join(kSections) + ")");
  for (const auto& k : keys()) {
    if (k.section == section && k.name == name) {
      k.read(config, value, r, section + "." + name);
      return;
    }
  }
  throw UserError(r.source() + ": unknown key '" + section + "." + name + "' (keys of [" + section +
                  "]: " + join(key_names(section)) + ")");
}

void apply_table(Config& config, const toml::table& root, const TomlReader& r) {
  for (const auto& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const auto* table = section_node.as_table();
    if (table == nullptr) {
      if (std::find(kSections.begin(), kSections.end(), section) == kSections.end())
        throw UserError(r.source() + ": unknown top-level key '" + section +
                        "' (sections: " + join(kSections) + ")");
      throw UserError(r.source() + ": '" + section + "' must be a section [" + section + "]");
    }
    for (const auto& [key, node] : *table)
      apply_key(config, section, std::string(key.str()), node, r);
  }
}

}  // namespace

std::filesystem::path DataConfig::resolved_dir() const {
  if (!dir.empty()) return dir;
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (dataset == "mnist") return "data/mnist";
  return "data/emnist";
}

std::vector<int> ModelConfig::hidden_or_default() const {
  if (hidden) return *hidden;
  switch (kind) {
    case ModelKind::mlp:
      return {512, 256, 128};
    case ModelKind::cnn:
      return {256};
    case ModelKind::resnet:
      break;
  }
  return {};
}

bool AugmentConfig::active() const {
  return rotation != 0 || scale != 0 || shear != 0 || translate != 0 || elastic != 0;
}

math::AugmentSpec AugmentConfig::spec(uint64_t seed) const {
  math::AugmentSpec s;
  s.tan_half_rotation = static_cast<float>(std::tan(rotation * std::numbers::pi / 360.0));
  s.scale = static_cast<float>(scale);
  s.shear = static_cast<float>(shear);
  s.translate = static_cast<float>(translate);
  s.elastic = static_cast<float>(elastic);
  s.seed = seed;
  return s;
}

double ModelConfig::dropout_or_default() const {
  if (dropout >= 0) return dropout;
  return kind == ModelKind::cnn ? 0.3 : 0.2;
}

OptimizerParams TrainConfig::optimizer_params() const {
  OptimizerParams o;
  o.kind = optimizer;
  o.momentum = static_cast<float>(momentum);
  o.nesterov = nesterov;
  o.beta1 = static_cast<float>(beta1);
  o.beta2 = static_cast<float>(beta2);
  o.alpha = static_cast<float>(alpha);
  o.eps = static_cast<float>(eps);
  o.weight_decay = static_cast<float>(weight_decay);
  return o;
}

Config parse_config(const std::string& toml_text, const std::string& source_name) {
  Config config;
  apply_table(config, parse_toml(toml_text, source_name), TomlReader(source_name));
  return config;
}

Config load_config(const std::filesystem::path& path) {
  return parse_config(read_user_file(path, "config", "give a TOML file, e.g. configs/cnn.toml"),
                      "config " + path.string());
}

void apply_override(Config& config, const std::string& assignment) {
  const TomlReader src("--set " + assignment);
  const auto eq = assignment.find('=');
  const auto dot = assignment.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw UserError(src.source() + ": expected section.key=value, e.g. --set train.lr=0.01");
  const std::string section = assignment.substr(0, dot);
  const std::string name = assignment.substr(dot + 1, eq - dot - 1);
  const std::string value = assignment.substr(eq + 1);
  // Read the value as TOML; a bare word that TOML rejects (cosine, data/emnist) is a string.
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};
  }
  apply_key(config, section, name, *parsed.get("v"), src);
}

std::string to_toml(const Config& config) {
  std::string out = "# Resolved configuration: every key, defaults filled in.\n";
  for (const auto& section : kSections) {
    out += "\n[" + section + "]\n";
    for (const auto& k : keys())
      if (k.section == section) out += k.name + " = " + k.write(config) + "\n";
  }
  return out;
}

namespace {

void validate_resnet(const ModelConfig& m) {
  if (m.blocks.size() != m.stages.size() || m.strides.size() != m.stages.size())
    throw UserError(fmt::format(
        "model.stages, model.blocks, model.strides: one entry a stage in each, got {}, {} and {} "
        "(e.g. stages = [32, 64, 128], blocks = [2, 2, 2], strides = [1, 2, 2])",
        m.stages.size(), m.blocks.size(), m.strides.size()));
  if (!m.batch_norm)
    throw UserError(
        "model.batch_norm = false: a ResNet's blocks always use batch norm; leave it true or use "
        "model.kind = \"cnn\"");
  // A 3x3 convolution with padding 1 and stride 2 makes ceil(n / 2) of n: 28 -> 14 -> 7 -> 4 ...
  int size = 28;
  for (size_t i = 0; i < m.strides.size(); ++i) {
    if (m.strides[i] == 2 && size < 2)
      throw UserError(fmt::format(
          "model.strides: stage {} halves a {}x{} map; set its stride to 1 or use fewer stride-2 "
          "stages (28x28 images allow 5)",
          i + 1, size, size));
    if (m.strides[i] == 2) size = (size + 1) / 2;
  }
}

}  // namespace

void validate(const Config& c) {
  const auto hidden = c.model.hidden_or_default();
  if (c.model.kind == ModelKind::mlp && hidden.size() < 3)
    throw UserError("model.hidden: an MLP needs at least 3 hidden layers, got " +
                    std::to_string(hidden.size()) + " (e.g. hidden = [512, 256, 128])");
  if (c.model.kind == ModelKind::cnn) {
    const auto convs = std::count_if(c.model.conv.begin(), c.model.conv.end(),
                                     [](const ConvItem& i) { return !i.pool; });
    if (convs < 2)
      throw UserError("model.conv: a CNN needs at least 2 convolutions, got " +
                      std::to_string(convs) +
                      " (e.g. conv = [32, 32, \"pool\", 64, 64, \"pool\"])");
    if (!c.model.conv.empty() && c.model.conv.front().pool)
      throw UserError("model.conv: the first entry must be a convolution, not \"pool\"");
    // Convolutions keep the size ("same" padding); each pool halves it (28 -> 14 -> 7 -> 3 -> 1).
    int size = 28, conv_index = 0;
    for (const auto& item : c.model.conv) {
      if (item.pool) {
        size /= 2;
        continue;
      }
      ++conv_index;
      // Padding would let it run, but most of such a kernel would only ever see the padding.
      if (size >= 1 && c.model.kernel > size)
        throw UserError("model.kernel: " + std::to_string(c.model.kernel) + " is larger than the " +
                        std::to_string(size) + "x" + std::to_string(size) +
                        " input of convolution " + std::to_string(conv_index) +
                        " in model.conv; use a smaller kernel or fewer \"pool\" entries before it");
    }
    if (size < 1)
      throw UserError(
          "model.conv: too many \"pool\" entries: 28x28 images shrink to 0x0 (at most 4 pools)");
  }
  if (c.model.kind == ModelKind::resnet) validate_resnet(c.model);
  if (c.train.schedule == ScheduleKind::cosine && c.train.min_lr > c.train.lr)
    throw UserError("train.min_lr: " + toml_float(c.train.min_lr) + " is larger than train.lr " +
                    toml_float(c.train.lr));
  // Batch norm over a hidden layer's features sees one value per channel in a batch of one.
  if (c.train.batch_size == 1 && c.model.batch_norm)
    throw UserError(
        "train.batch_size = 1 with model.batch_norm = true: batch norm needs at least 2 samples "
        "per batch; raise train.batch_size or set model.batch_norm = false");
  if (c.train.warmup_epochs >= c.train.epochs && c.train.warmup_epochs > 0)
    throw UserError(
        "train.warmup_epochs: " + std::to_string(c.train.warmup_epochs) +
        " leaves no epoch after warm-up (train.epochs = " + std::to_string(c.train.epochs) + ")");
  if (c.data.dataset == "idx" && c.data.train_images.empty() && c.data.test_images.empty())
    throw UserError(
        "data.dataset = \"idx\" needs data.train_images and data.train_labels (and/or the test "
        "pair)");
  if (c.data.split == SplitKind::holdout && c.data.test_fraction + c.data.val_fraction >= 0.9)
    throw UserError(
        "data.test_fraction + data.val_fraction leave too little to train on (keep the sum under "
        "0.9)");
}

std::vector<ConfigKey> config_keys() {
  const Config defaults;
  std::vector<ConfigKey> out;
  for (const auto& k : keys())
    out.push_back({k.section + "." + k.name, k.allowed, k.write(defaults), k.help});
  return out;
}

}  // namespace emnist
