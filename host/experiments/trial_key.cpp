// trial_key: FNV-1a over the resolved configuration's TOML. to_toml prints every key in a fixed
// order with round-trip precision, so equal configurations give equal text.
#include <fmt/format.h>

#include "emnist/sweep.hpp"
#include "emnist/toml_text.hpp"

namespace emnist {
namespace {

// Removes the line that starts with `start` (after a newline), if any.
void erase_line(std::string& text, const std::string& start) {
  const size_t at = text.find("\n" + start);
  if (at != std::string::npos) text.erase(at, text.find('\n', at + 1) - at);
}

}  // namespace

std::string trial_key(const Config& config, int folds) {
  Config c = config;
  const Config defaults;
  c.data.dir.clear();
  c.train.device = defaults.train.device;
  c.train.log_every = defaults.train.log_every;
  std::string text = to_toml(c) + fmt::format("\n[cross_validation]\nfolds = {}\n", folds);
  // Keys added since the key's text was fixed count only when set: trials stored before a key
  // existed computed what its default computes, and keep their keys.
  if (c.train.label_smoothing == defaults.train.label_smoothing)
    erase_line(text, "label_smoothing = ");
  if (c.train.ema == defaults.train.ema) erase_line(text, "ema = ");
  if (c.train.class_weights == defaults.train.class_weights) erase_line(text, "class_weights = ");
  if (c.train.sampling == defaults.train.sampling) erase_line(text, "sampling = ");
  if (c.model.kind != ModelKind::resnet)
    for (const char* line : {"stem = ", "stages = ", "blocks = ", "strides = "})
      erase_line(text, line);
  if (c.model.kind != ModelKind::resnet || c.model.pooling == defaults.model.pooling)
    erase_line(text, "pooling = ");
  if (!c.augment.active()) {
    const size_t section = text.find("\n[augment]\n");
    if (section != std::string::npos) {
      const size_t next = text.find("\n[", section + 1);
      text.erase(section, (next == std::string::npos ? text.size() : next) - section);
    }
  }
  // config.toml writes data.dir absolute, which would tie the key to the working directory: the
  // key keeps the dataset's default folder as written before, so stored trials keep their keys.
  const size_t dir = text.find("\ndir = ");
  if (dir != std::string::npos)
    text.replace(dir + 1, text.find('\n', dir + 1) - dir - 1,
                 "dir = " + toml_string(c.data.resolved_dir().string()));
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace emnist
