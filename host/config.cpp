#include "emnist/config.hpp"
#include "emnist/toml_text.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "emnist/error.hpp"

namespace emnist {
namespace {

// Where a value came from, for messages: "config configs/cnn.toml" or "--set".
struct Source {
  std::string name;
  std::string where(const std::string& key) const { return name + ": " + key; }
};

[[noreturn]] void fail(const Source& src, const std::string& key, const std::string& what) {
  throw UserError(src.where(key) + ": " + what);
}

std::string describe(const toml::node& node) {
  std::ostringstream ss;
  if (node.is_string()) {
    ss << '"' << node.as_string()->get() << '"';
  } else if (node.is_array()) {
    ss << "an array";
  } else if (node.is_table()) {
    ss << "a table";
  } else {
    node.visit([&](auto&& n) {
      if constexpr (toml::is_value<decltype(n)>) ss << n.get();
    });
  }
  return ss.str();
}

int64_t as_int(const toml::node& node, const Source& src, const std::string& key, int64_t lo,
               int64_t hi) {
  const auto* v = node.as_integer();
  if (v == nullptr) fail(src, key, "expected an integer, got " + describe(node));
  const int64_t x = v->get();
  if (x < lo || x > hi)
    fail(src, key,
         std::to_string(x) + " is out of range: allowed " + std::to_string(lo) + " to " +
             (hi == std::numeric_limits<int32_t>::max() ? std::string("any larger")
                                                        : std::to_string(hi)));
  return x;
}

double as_number(const toml::node& node, const Source& src, const std::string& key) {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) return f->get();
  fail(src, key, "expected a number, got " + describe(node));
}

bool as_bool(const toml::node& node, const Source& src, const std::string& key) {
  const auto* v = node.as_boolean();
  if (v == nullptr) fail(src, key, "expected true or false, got " + describe(node));
  return v->get();
}

std::string as_string(const toml::node& node, const Source& src, const std::string& key) {
  const auto* v = node.as_string();
  if (v == nullptr) fail(src, key, "expected a string, got " + describe(node));
  return v->get();
}

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string as_choice(const toml::node& node, const Source& src, const std::string& key,
                      const std::vector<std::string>& allowed) {
  const std::string v = as_string(node, src, key);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    fail(src, key, "\"" + v + "\" is not allowed: use one of " + join(allowed));
  return v;
}

// A range check for reals: lo <= x (or lo < x), x < hi (or x <= hi).
double in_range(double x, const Source& src, const std::string& key, double lo, bool lo_open,
                double hi, bool hi_open, const std::string& allowed) {
  const bool ok = std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
  if (!ok) {
    std::ostringstream ss;
    ss << x << " is out of range: allowed " << allowed;
    fail(src, key, ss.str());
  }
  return x;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kBig = std::numeric_limits<int32_t>::max();

std::vector<int> as_widths(const toml::node& node, const Source& src, const std::string& key) {
  const auto* arr = node.as_array();
  if (arr == nullptr) fail(src, key, "expected an array of layer widths, e.g. [512, 256, 128]");
  std::vector<int> out;
  for (const auto& item : *arr) out.push_back(static_cast<int>(as_int(item, src, key, 1, 1 << 20)));
  // Empty would read as "the default" in the rest of the code: refuse it rather than surprise.
  if (out.empty())
    fail(src, key,
         "[] has no layers: give the widths, e.g. [512, 256, 128], or leave the key out for the "
         "default");
  return out;
}

std::vector<ConvItem> as_conv(const toml::node& node, const Source& src, const std::string& key) {
  const auto* arr = node.as_array();
  if (arr == nullptr)
    fail(src, key, "expected an array of channel counts and \"pool\", e.g. [32, 32, \"pool\"]");
  std::vector<ConvItem> out;
  for (const auto& item : *arr) {
    if (item.is_string()) {
      if (item.as_string()->get() != "pool")
        fail(src, key,
             "\"" + item.as_string()->get() + "\" is not allowed: use channel counts or \"pool\"");
      out.push_back({true, 0});
    } else {
      out.push_back({false, static_cast<int>(as_int(item, src, key, 1, 1 << 16))});
    }
  }
  return out;
}

using Setter = std::function<void(Config&, const toml::node&, const Source&, const std::string&)>;
using Printer = std::function<std::string(const Config&)>;

struct KeySpec {
  std::string section, name;
  Setter set;
  Printer print;
};

const std::vector<std::string> kDatasets = {"emnist-balanced", "emnist-byclass", "emnist-bymerge",
                                            "emnist-letters",  "emnist-digits",  "emnist-mnist",
                                            "mnist",           "fashion-mnist",  "idx"};

const std::vector<KeySpec>& keys() {
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> k;
    // [data]
    k.push_back({"data", "dataset",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.dataset = as_choice(n, s, key, kDatasets);
                 },
                 [](const Config& c) { return toml_string(c.data.dataset); }});
    k.push_back({"data", "dir",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.dir = as_string(n, s, key);
                 },
                 [](const Config& c) { return toml_string(c.data.resolved_dir().string()); }});
    k.push_back({"data", "format",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.format = as_choice(n, s, key, {"auto", "idx", "csv"});
                 },
                 [](const Config& c) { return toml_string(c.data.format); }});
    k.push_back({"data", "split",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.split = as_choice(n, s, key, {"official", "holdout"});
                 },
                 [](const Config& c) { return toml_string(c.data.split); }});
    k.push_back({"data", "val_fraction",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.val_fraction =
                       in_range(as_number(n, s, key), s, key, 0, false, 0.5, true, "[0, 0.5)");
                 },
                 [](const Config& c) { return toml_float(c.data.val_fraction); }});
    k.push_back({"data", "test_fraction",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.test_fraction =
                       in_range(as_number(n, s, key), s, key, 0, false, 0.5, true, "[0, 0.5)");
                 },
                 [](const Config& c) { return toml_float(c.data.test_fraction); }});
    k.push_back({"data", "limit",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.limit = as_int(n, s, key, 0, std::numeric_limits<int64_t>::max());
                 },
                 [](const Config& c) { return std::to_string(c.data.limit); }});
    k.push_back({"data", "seed",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.data.seed = static_cast<uint64_t>(
                       as_int(n, s, key, 0, std::numeric_limits<int64_t>::max()));
                 },
                 [](const Config& c) { return std::to_string(c.data.seed); }});
    for (auto member : {&DataConfig::train_images, &DataConfig::train_labels,
                        &DataConfig::test_images, &DataConfig::test_labels, &DataConfig::mapping}) {
      const char* name = member == &DataConfig::train_images   ? "train_images"
                         : member == &DataConfig::train_labels ? "train_labels"
                         : member == &DataConfig::test_images  ? "test_images"
                         : member == &DataConfig::test_labels  ? "test_labels"
                                                               : "mapping";
      k.push_back({"data", name,
                   [member](Config& c, const toml::node& n, const Source& s,
                            const std::string& key) { c.data.*member = as_string(n, s, key); },
                   [member](const Config& c) { return toml_string(c.data.*member); }});
    }

    // [model]
    k.push_back({"model", "kind",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.kind = as_choice(n, s, key, {"mlp", "cnn"});
                 },
                 [](const Config& c) { return toml_string(c.model.kind); }});
    k.push_back({"model", "hidden",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.hidden = as_widths(n, s, key);
                 },
                 [](const Config& c) {
                   std::vector<std::string> w;
                   for (int h : c.model.hidden_or_default()) w.push_back(std::to_string(h));
                   return "[" + join(w) + "]";
                 }});
    k.push_back({"model", "conv",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.conv = as_conv(n, s, key);
                 },
                 [](const Config& c) {
                   std::vector<std::string> w;
                   for (const auto& item : c.model.conv)
                     w.push_back(item.pool ? "\"pool\"" : std::to_string(item.channels));
                   return "[" + join(w) + "]";
                 }});
    k.push_back({"model", "kernel",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   const auto v = as_int(n, s, key, 1, 99);
                   if (v != 3 && v != 5)
                     fail(s, key, std::to_string(v) + " is not allowed: use 3 or 5");
                   c.model.kernel = static_cast<int>(v);
                 },
                 [](const Config& c) { return std::to_string(c.model.kernel); }});
    k.push_back({"model", "activation",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   const auto v = as_choice(n, s, key, {"relu", "leaky_relu", "elu"});
                   c.model.activation.kind = v == "relu"         ? ActivationKind::relu
                                             : v == "leaky_relu" ? ActivationKind::leaky_relu
                                                                 : ActivationKind::elu;
                 },
                 [](const Config& c) {
                   switch (c.model.activation.kind) {
                     case ActivationKind::relu:
                       return toml_string("relu");
                     case ActivationKind::leaky_relu:
                       return toml_string("leaky_relu");
                     case ActivationKind::elu:
                       return toml_string("elu");
                   }
                   return toml_string("relu");
                 }});
    k.push_back({"model", "leaky_slope",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.activation.leaky_slope = static_cast<float>(
                       in_range(as_number(n, s, key), s, key, 0, true, 1, true, "(0, 1)"));
                 },
                 [](const Config& c) { return toml_float(c.model.activation.leaky_slope); }});
    k.push_back({"model", "elu_alpha",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.activation.elu_alpha = static_cast<float>(
                       in_range(as_number(n, s, key), s, key, 0, true, 100, false, "(0, 100]"));
                 },
                 [](const Config& c) { return toml_float(c.model.activation.elu_alpha); }});
    k.push_back({"model", "batch_norm",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.batch_norm = as_bool(n, s, key);
                 },
                 [](const Config& c) { return toml_bool(c.model.batch_norm); }});
    k.push_back({"model", "dropout",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.model.dropout =
                       in_range(as_number(n, s, key), s, key, 0, false, 1, true, "[0, 1)");
                 },
                 [](const Config& c) { return toml_float(c.model.dropout_or_default()); }});

    // [train]
    k.push_back({"train", "epochs",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.epochs = static_cast<int>(as_int(n, s, key, 1, 100000));
                 },
                 [](const Config& c) { return std::to_string(c.train.epochs); }});
    k.push_back({"train", "batch_size",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.batch_size = static_cast<int>(as_int(n, s, key, 1, 65536));
                 },
                 [](const Config& c) { return std::to_string(c.train.batch_size); }});
    k.push_back({"train", "optimizer",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.optimizer = as_choice(n, s, key, {"sgd", "adam", "adamw", "rmsprop"});
                 },
                 [](const Config& c) { return toml_string(c.train.optimizer); }});
    k.push_back({"train", "lr",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.lr =
                       in_range(as_number(n, s, key), s, key, 0, true, 10, false, "(0, 10]");
                 },
                 [](const Config& c) { return toml_float(c.train.lr); }});
    k.push_back({"train", "momentum",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.momentum =
                       in_range(as_number(n, s, key), s, key, 0, false, 1, true, "[0, 1)");
                 },
                 [](const Config& c) { return toml_float(c.train.momentum); }});
    k.push_back({"train", "nesterov",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.nesterov = as_bool(n, s, key);
                 },
                 [](const Config& c) { return toml_bool(c.train.nesterov); }});
    k.push_back({"train", "betas",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   const auto* arr = n.as_array();
                   if (arr == nullptr || arr->size() != 2)
                     fail(s, key, "expected two numbers in [0, 1), e.g. [0.9, 0.999]");
                   c.train.beta1 = in_range(as_number(*arr->get(0), s, key), s, key, 0, false, 1,
                                            true, "[0, 1)");
                   c.train.beta2 = in_range(as_number(*arr->get(1), s, key), s, key, 0, false, 1,
                                            true, "[0, 1)");
                 },
                 [](const Config& c) {
                   return "[" + toml_float(c.train.beta1) + ", " + toml_float(c.train.beta2) + "]";
                 }});
    k.push_back({"train", "eps",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.eps =
                       in_range(as_number(n, s, key), s, key, 0, true, 1, false, "(0, 1]");
                 },
                 [](const Config& c) { return toml_float(c.train.eps); }});
    k.push_back({"train", "alpha",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.alpha =
                       in_range(as_number(n, s, key), s, key, 0, false, 1, true, "[0, 1)");
                 },
                 [](const Config& c) { return toml_float(c.train.alpha); }});
    k.push_back({"train", "weight_decay",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.weight_decay =
                       in_range(as_number(n, s, key), s, key, 0, false, 1, false, "[0, 1]");
                 },
                 [](const Config& c) { return toml_float(c.train.weight_decay); }});
    k.push_back({"train", "l1",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.l1 =
                       in_range(as_number(n, s, key), s, key, 0, false, 1, false, "[0, 1]");
                 },
                 [](const Config& c) { return toml_float(c.train.l1); }});
    k.push_back({"train", "schedule",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.schedule = as_choice(n, s, key, {"constant", "step", "cosine"});
                 },
                 [](const Config& c) { return toml_string(c.train.schedule); }});
    k.push_back({"train", "step_size",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.step_size = static_cast<int>(as_int(n, s, key, 1, 100000));
                 },
                 [](const Config& c) { return std::to_string(c.train.step_size); }});
    k.push_back({"train", "gamma",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.gamma =
                       in_range(as_number(n, s, key), s, key, 0, true, 1, false, "(0, 1]");
                 },
                 [](const Config& c) { return toml_float(c.train.gamma); }});
    k.push_back({"train", "min_lr",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.min_lr =
                       in_range(as_number(n, s, key), s, key, 0, false, 10, false, "[0, 10]");
                 },
                 [](const Config& c) { return toml_float(c.train.min_lr); }});
    k.push_back({"train", "warmup_epochs",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.warmup_epochs = static_cast<int>(as_int(n, s, key, 0, 100000));
                 },
                 [](const Config& c) { return std::to_string(c.train.warmup_epochs); }});
    k.push_back({"train", "seed",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.seed = static_cast<uint64_t>(
                       as_int(n, s, key, 0, std::numeric_limits<int64_t>::max()));
                 },
                 [](const Config& c) { return std::to_string(c.train.seed); }});
    k.push_back({"train", "device",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.device = as_choice(n, s, key, {"auto", "cpu", "cuda"});
                 },
                 [](const Config& c) { return toml_string(c.train.device); }});
    k.push_back({"train", "precision",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.precision = as_choice(n, s, key, {"fp32", "tf32", "bf16"});
                 },
                 [](const Config& c) { return toml_string(c.train.precision); }});
    k.push_back({"train", "deterministic",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.deterministic = as_bool(n, s, key);
                 },
                 [](const Config& c) { return toml_bool(c.train.deterministic); }});
    k.push_back({"train", "cuda_graph",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.cuda_graph = as_bool(n, s, key);
                 },
                 [](const Config& c) { return toml_bool(c.train.cuda_graph); }});
    k.push_back({"train", "feeder",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.feeder = as_choice(n, s, key, {"auto", "resident", "pinned"});
                 },
                 [](const Config& c) { return toml_string(c.train.feeder); }});
    k.push_back({"train", "log_every",
                 [](Config& c, const toml::node& n, const Source& s, const std::string& key) {
                   c.train.log_every = static_cast<int>(as_int(n, s, key, 1, kBig));
                 },
                 [](const Config& c) { return std::to_string(c.train.log_every); }});
    return k;
  }();
  return table;
}

const std::vector<std::string> kSections = {"data", "model", "train"};

std::vector<std::string> key_names(const std::string& section) {
  std::vector<std::string> names;
  for (const auto& k : keys())
    if (k.section == section) names.push_back(k.name);
  return names;
}

void apply_key(Config& config, const std::string& section, const std::string& name,
               const toml::node& value, const Source& src) {
  if (std::find(kSections.begin(), kSections.end(), section) == kSections.end())
    throw UserError(src.name + ": unknown section [" + section + "] (sections: " + join(kSections) +
                    ")");
  for (const auto& k : keys()) {
    if (k.section == section && k.name == name) {
      k.set(config, value, src, section + "." + name);
      return;
    }
  }
  throw UserError(src.name + ": unknown key '" + section + "." + name + "' (keys of [" + section +
                  "]: " + join(key_names(section)) + ")");
}

void apply_table(Config& config, const toml::table& root, const Source& src) {
  for (const auto& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const auto* table = section_node.as_table();
    if (table == nullptr) {
      if (std::find(kSections.begin(), kSections.end(), section) == kSections.end())
        throw UserError(src.name + ": unknown top-level key '" + section +
                        "' (sections: " + join(kSections) + ")");
      throw UserError(src.name + ": '" + section + "' must be a section [" + section + "]");
    }
    for (const auto& [key, node] : *table)
      apply_key(config, section, std::string(key.str()), node, src);
  }
}

toml::table parse_toml(const std::string& text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream ss;
    ss << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column
       << ": not valid TOML: " << e.description();
    throw UserError(ss.str());
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
  if (!hidden.empty()) return hidden;
  return kind == "mlp" ? std::vector<int>{512, 256, 128} : std::vector<int>{256};
}

double ModelConfig::dropout_or_default() const {
  if (dropout >= 0) return dropout;
  return kind == "mlp" ? 0.2 : 0.3;
}

OptimizerParams TrainConfig::optimizer_params() const {
  OptimizerParams o;
  o.kind = optimizer == "sgd"       ? OptimizerKind::sgd
           : optimizer == "adamw"   ? OptimizerKind::adamw
           : optimizer == "rmsprop" ? OptimizerKind::rmsprop
                                    : OptimizerKind::adam;
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
  apply_table(config, parse_toml(toml_text, source_name), Source{source_name});
  return config;
}

Config load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UserError("config " + path.string() +
                    ": no such file (give a TOML file, e.g. configs/cnn.toml)");
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw UserError("config " + path.string() + ": cannot be read");
  return parse_config(ss.str(), "config " + path.string());
}

void apply_override(Config& config, const std::string& assignment) {
  const Source src{"--set " + assignment};
  const auto eq = assignment.find('=');
  const auto dot = assignment.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw UserError(src.name + ": expected section.key=value, e.g. --set train.lr=0.01");
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
      if (k.section == section) out += k.name + " = " + k.print(config) + "\n";
  }
  return out;
}

void validate(const Config& c) {
  const auto hidden = c.model.hidden_or_default();
  if (c.model.kind == "mlp" && hidden.size() < 3)
    throw UserError("model.hidden: an MLP needs at least 3 hidden layers, got " +
                    std::to_string(hidden.size()) + " (e.g. hidden = [512, 256, 128])");
  if (c.model.kind == "cnn") {
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
  if (c.train.schedule == "cosine" && c.train.min_lr > c.train.lr)
    throw UserError("train.min_lr: " + toml_float(c.train.min_lr) + " is larger than train.lr " +
                    toml_float(c.train.lr));
  if (c.train.warmup_epochs >= c.train.epochs && c.train.warmup_epochs > 0)
    throw UserError(
        "train.warmup_epochs: " + std::to_string(c.train.warmup_epochs) +
        " leaves no epoch after warm-up (train.epochs = " + std::to_string(c.train.epochs) + ")");
  if (c.data.dataset == "idx" && c.data.train_images.empty() && c.data.test_images.empty())
    throw UserError(
        "data.dataset = \"idx\" needs data.train_images and data.train_labels (and/or the test "
        "pair)");
  if (c.data.split == "holdout" && c.data.test_fraction + c.data.val_fraction >= 0.9)
    throw UserError(
        "data.test_fraction + data.val_fraction leave too little to train on (keep the sum under "
        "0.9)");
}

}  // namespace emnist
