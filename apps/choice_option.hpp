#pragma once
// A command-line option that sets a config choice accepts exactly the choice's names.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "emnist/choices.hpp"

template <typename E>
CLI::IsMember one_of() {
  std::vector<std::string> names;
  for (const auto& c : emnist::choices_of(E{})) names.emplace_back(c.name);
  return CLI::IsMember(names);
}
