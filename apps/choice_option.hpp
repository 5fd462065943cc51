#pragma once
// A command-line option that sets a config choice accepts exactly the choice's names.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "emnist/choices.hpp"

template <typename E>
CLI::IsMember one_of() {
  return CLI::IsMember(emnist::choice_name_list<E>());
}
