#pragma once
// Setting one config key from a sweep file. The config's own checks do the work; only the message
// changes, so that it names the sweep file and where in it the value came from.
#include <string>

#include "emnist/config.hpp"

namespace emnist::sweep {

// Applies "key = text" to config. On a refused key or value: UserError
// "<where>: <the config's reason>", e.g. "sweep s.toml: axes.train.lr = -1: -1 is out of range".
void assign(Config& config, const std::string& key, const std::string& text,
            const std::string& where);

}  // namespace emnist::sweep
