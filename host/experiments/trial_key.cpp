// trial_key: FNV-1a over the resolved configuration's TOML. to_toml prints every key in a fixed
// order with round-trip precision, so equal configurations give equal text.
#include <fmt/format.h>

#include "emnist/sweep.hpp"

namespace emnist {

std::string trial_key(const Config& config, int folds) {
  Config c = config;
  const Config defaults;
  c.data.dir.clear();
  c.train.device = defaults.train.device;
  c.train.log_every = defaults.train.log_every;
  const std::string text = to_toml(c) + fmt::format("\n[cross_validation]\nfolds = {}\n", folds);
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace emnist
