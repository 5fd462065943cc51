#include "experiments/sweep_assign.hpp"

#include "emnist/error.hpp"

namespace emnist::sweep {
namespace {

void strip_prefix(std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) s.erase(0, prefix.size());
}

}  // namespace

void assign(Config& config, const std::string& key, const std::string& text,
            const std::string& where) {
  const std::string assignment = key + "=" + text;
  try {
    apply_override(config, assignment);
  } catch (const UserError& e) {
    // apply_override speaks of "--set key=value: key: ..."; the sweep file is the source here.
    std::string reason = e.what();
    strip_prefix(reason, "--set " + assignment + ": ");
    strip_prefix(reason, key + ": ");
    throw UserError(where + ": " + reason);
  }
}

}  // namespace emnist::sweep
