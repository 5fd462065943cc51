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
  // config.toml must be what the checkpoint ran with (or, after a kill between the checkpoint's
  // rename and config.toml's, what this run's last session found there): a change goes through
  // --set, never an edit, so that what the run computed stays what its files say.
  const std::string on_disk = to_toml(load_config(config_path));
  Config config = parse_config(checkpoint.config, checkpoint_file(run_dir).string());
  const std::string ran = to_toml(config);
  const bool before_rename =
      !checkpoint.config_before.empty() &&
      on_disk == to_toml(parse_config(checkpoint.config_before, checkpoint_file(run_dir).string()));
  if (on_disk != ran && !before_rename)
    throw UserError(fmt::format(
        "{}: differs from the configuration the checkpoint was trained with ({}); restore it, "
        "change it with --set (data.dir, train.device, train.epochs, train.lr, train.log_every), "
        "or start a new run",
        config_path.string(), first_difference(on_disk, ran)));

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
  // Part of epoch `epoch + 1` is in the weights when step > 0: that epoch must be in the run.
  const int done = checkpoint.step > 0 ? checkpoint.epoch + 1 : checkpoint.epoch;
  if (config.train.epochs < done)
    throw UserError(fmt::format(
        "train.epochs = {}: the checkpoint is at {} already; give train.epochs = {} or more",
        config.train.epochs,
        checkpoint.step > 0 ? fmt::format("step {} of epoch {}", checkpoint.step, done)
                            : fmt::format("the end of epoch {}", done),
        done));
  return Resume{std::move(config), std::move(checkpoint), on_disk};
}

}  // namespace emnist
