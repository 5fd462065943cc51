#include "emnist/checkpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/toml_text.hpp"

namespace emnist {
namespace {

constexpr const char* kFormat = "emnist-checkpoint-1";
constexpr const char* kModelPrefix = "model.";
constexpr const char* kAveragePrefix = "ema.";

std::string encode_history(const std::vector<EpochRecord>& history) {
  std::string out;
  for (const EpochRecord& r : history) {
    if (!out.empty()) out += ';';
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}", r.epoch, shortest_text(r.lr),
                       shortest_text(r.train_loss), shortest_text(r.train_accuracy),
                       shortest_text(r.val_loss), shortest_text(r.val_accuracy),
                       shortest_text(r.seconds), shortest_text(r.samples_per_second),
                       shortest_text(r.val_balanced_accuracy), shortest_text(r.val_macro_f1));
  }
  return out;
}

std::string encode_counts(const std::vector<int64_t>& counts) {
  std::string out;
  for (size_t i = 0; i < counts.size(); ++i) out += (i ? " " : "") + std::to_string(counts[i]);
  return out;
}

class MetadataReader {
 public:
  MetadataReader(const Metadata& m, const std::string& source) : m_(m), source_(source) {}

  UserError fail(const std::string& why) const {
    return UserError(
        fmt::format("{}: not a usable checkpoint: {} (start the run again, or resume "
                    "from a copy of a good checkpoint)",
                    source_, why));
  }
  const std::string& text(const std::string& key) const {
    const auto it = m_.find(key);
    if (it == m_.end()) throw fail("no '" + key + "' entry");
    return it->second;
  }
  template <typename T>
  T number(const std::string& key) const {
    return parse<T>(text(key), key);
  }
  template <typename T>
  T parse(std::string_view s, const std::string& key) const {
    T v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size())
      throw fail(fmt::format("'{}' holds \"{}\", not a number", key, s));
    return v;
  }
  std::vector<std::string_view> split(std::string_view s, char sep) const {
    std::vector<std::string_view> out;
    if (s.empty()) return out;
    for (size_t start = 0;;) {
      const size_t end = s.find(sep, start);
      out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
      if (end == std::string_view::npos) return out;
      start = end + 1;
    }
  }

 private:
  const Metadata& m_;
  std::string source_;
};

}  // namespace

std::filesystem::path checkpoint_file(const std::filesystem::path& run_dir) {
  return RunFiles(run_dir).checkpoint();
}

void write_checkpoint(const std::filesystem::path& run_dir, const Checkpoint& c,
                      const std::function<void()>& midway) {
  TensorMap tensors;
  for (const auto& [name, t] : c.model) tensors.emplace(kModelPrefix + name, t);
  tensors.emplace("optimizer.state1", c.state1);
  tensors.emplace("optimizer.state2", c.state2);
  for (const auto& [name, t] : c.average) tensors.emplace(kAveragePrefix + name, t);
  Metadata m;
  m["format"] = kFormat;
  m["config"] = c.config;
  m["config_before"] = c.config_before;
  m["data"] = c.data;
  m["epoch"] = std::to_string(c.epoch);
  m["step"] = std::to_string(c.step);
  m["steps_per_epoch"] = std::to_string(c.steps_per_epoch);
  m["optimizer_steps"] = std::to_string(c.optimizer_steps);
  m["train_seconds"] = shortest_text(c.train_seconds);
  m["classes"] = std::to_string(c.totals.classes);
  m["samples"] = std::to_string(c.totals.samples);
  m["loss_sum"] = shortest_text(c.totals.loss_sum);
  m["confusion"] = encode_counts(c.totals.confusion);
  m["history"] = encode_history(c.history);
  const std::filesystem::path file = checkpoint_file(run_dir);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    throw UserError(
        fmt::format("{}: cannot create the checkpoint folder: {} (choose a writable "
                    "run directory with --out)",
                    file.parent_path().string(), ec.message()));
  write_file_atomic(file, encode_safetensors(tensors, m), midway);
}

Checkpoint read_checkpoint(const std::filesystem::path& run_dir) {
  const std::filesystem::path file = checkpoint_file(run_dir);
  if (!std::filesystem::exists(file))
    throw UserError(
        fmt::format("{}: no checkpoint here; is {} the run directory of a run that "
                    "finished at least one epoch or was interrupted?",
                    file.string(), run_dir.string()));
  Metadata metadata;
  TensorMap tensors = read_safetensors(file, &metadata);
  const MetadataReader m(metadata, file.string());
  if (metadata.count("format") == 0 || metadata.at("format") != kFormat)
    throw m.fail("no emnist checkpoint metadata (a model file rather than a checkpoint?)");

  Checkpoint c;
  c.config = m.text("config");
  if (metadata.count("config_before") != 0) c.config_before = metadata.at("config_before");
  if (metadata.count("data") != 0) c.data = metadata.at("data");
  c.epoch = m.number<int>("epoch");
  c.step = m.number<int64_t>("step");
  c.steps_per_epoch = m.number<int64_t>("steps_per_epoch");
  c.optimizer_steps = m.number<int64_t>("optimizer_steps");
  c.train_seconds = m.number<double>("train_seconds");
  c.totals.classes = m.number<int>("classes");
  c.totals.samples = m.number<int64_t>("samples");
  c.totals.loss_sum = m.number<double>("loss_sum");
  if (c.epoch < 0 || c.step < 0 || c.steps_per_epoch < 1 || c.step >= c.steps_per_epoch ||
      c.optimizer_steps != c.epoch * c.steps_per_epoch + c.step || c.totals.classes < 1 ||
      c.totals.samples < 0)
    throw m.fail("its position (epoch, step, optimizer steps) does not add up");
  for (std::string_view v : m.split(m.text("confusion"), ' '))
    c.totals.confusion.push_back(m.parse<int64_t>(v, "confusion"));
  if (c.totals.confusion.size() != static_cast<size_t>(c.totals.classes) * c.totals.classes)
    throw m.fail(fmt::format("'confusion' holds {} counts for {} classes",
                             c.totals.confusion.size(), c.totals.classes));
  for (std::string_view record : m.split(m.text("history"), ';')) {
    const auto f = m.split(record, ',');
    // 8 fields in checkpoints from before the balanced accuracy and macro F1 were kept.
    if (f.size() != 8 && f.size() != 10)
      throw m.fail("'history' has a record without 8 or 10 fields");
    EpochRecord r;
    r.epoch = m.parse<int>(f[0], "history");
    r.lr = m.parse<double>(f[1], "history");
    r.train_loss = m.parse<double>(f[2], "history");
    r.train_accuracy = m.parse<double>(f[3], "history");
    r.val_loss = m.parse<double>(f[4], "history");
    r.val_accuracy = m.parse<double>(f[5], "history");
    r.seconds = m.parse<double>(f[6], "history");
    r.samples_per_second = m.parse<double>(f[7], "history");
    if (f.size() == 10) {
      r.val_balanced_accuracy = m.parse<double>(f[8], "history");
      r.val_macro_f1 = m.parse<double>(f[9], "history");
    }
    c.history.push_back(r);
  }
  if (c.history.size() != static_cast<size_t>(c.epoch))
    throw m.fail(
        fmt::format("'history' has {} epochs, the position says {}", c.history.size(), c.epoch));

  for (auto& [name, t] : tensors) {
    if (name.rfind(kModelPrefix, 0) == 0) {
      c.model.emplace(name.substr(std::char_traits<char>::length(kModelPrefix)), std::move(t));
    } else if (name.rfind(kAveragePrefix, 0) == 0) {
      c.average.emplace(name.substr(std::char_traits<char>::length(kAveragePrefix)), std::move(t));
    } else if (name == "optimizer.state1") {
      c.state1 = std::move(t);
    } else if (name == "optimizer.state2") {
      c.state2 = std::move(t);
    } else {
      throw m.fail("unexpected tensor '" + name + "'");
    }
  }
  if (c.state1.values.empty() && c.state2.values.empty() && !c.model.empty())
    throw m.fail("no optimizer state");
  return c;
}

}  // namespace emnist
