// The configuration a resumed run continues with.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <string_view>
#include <utility>

#include "emnist/checkpoint.hpp"
#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/trainer.hpp"

namespace emnist {
namespace {

// Keys that do not change what the run computed so far.
constexpr std::array<std::string_view, 5> kResumable = {"data.dir", "train.device", "train.epochs",
                                                        "train.lr", "train.log_every"};

void copy_resumable(const Config& from, Config& to) {
  to.data.dir = from.data.dir;
  to.train.device = from.train.device;
  to.train.epochs = from.train.epochs;
  to.train.lr = from.train.lr;
  to.train.log_every = from.train.log_every;
}

std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream in_a(a), in_b(b);
  std::string line_a, line_b;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(in_a, line_a));
    const bool more_b = static_cast<bool>(std::getline(in_b, line_b));
    if (!more_a && !more_b) return "";
    if (!more_a) line_a.clear();
    if (!more_b) line_b.clear();
    if (line_a != line_b) return fmt::format("'{}' was '{}'", line_a, line_b);
  }
}

}  // namespace

Resume prepare_resume(const std::filesystem::path& run_dir, const std::vector<std::string>& sets) {
  Checkpoint checkpoint = read_checkpoint(run_dir);
  const std::filesystem::path config_path = RunFiles(run_dir).config();
  if (!std::filesystem::exists(config_path))
    throw UserError(
        fmt::format("{}: not found; a run directory keeps the configuration it ran "
                    "with there",
                    config_path.string()));
  Config config = load_config(config_path);
  const std::string on_disk = to_toml(config);
  for (const std::string& s : sets) {
    const std::string_view key = std::string_view(s).substr(0, s.find('='));
    if (std::find(kResumable.begin(), kResumable.end(), key) == kResumable.end())
      throw UserError(fmt::format(
          "--set {}: a resumed run keeps its configuration; only data.dir, train.device, "
          "train.epochs, train.lr and train.log_every may change (start a new run for the rest)",
          s));
    apply_override(config, s);
  }
  validate(config);

  const Config ran = parse_config(checkpoint.config, checkpoint_file(run_dir).string());
  Config compared = ran;
  copy_resumable(config, compared);
  const std::string now = to_toml(config), then = to_toml(compared);
  if (now != then)
    throw UserError(fmt::format(
        "{}: differs from the configuration the checkpoint was trained with ({}); restore it, "
        "or start a new run",
        config_path.string(), first_difference(now, then)));
  // Part of epoch `epoch + 1` is in the weights when step > 0: that epoch must be in the run.
  const int done = checkpoint.step > 0 ? checkpoint.epoch + 1 : checkpoint.epoch;
  if (config.train.epochs < done)
    throw UserError(fmt::format(
        "train.epochs = {}: the checkpoint is at {} already; give train.epochs = {} or more",
        config.train.epochs,
        checkpoint.step > 0 ? fmt::format("step {} of epoch {}", checkpoint.step, done)
                            : fmt::format("the end of epoch {}", done),
        done));
  if (now != on_disk) write_file_atomic(config_path, now);
  return Resume{std::move(config), std::move(checkpoint)};
}

}  // namespace emnist
