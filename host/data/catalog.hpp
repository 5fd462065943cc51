#pragma once
// The official file names of each named dataset, shared by locating, loading and messages.
#include <string>

namespace emnist::data {

bool is_emnist(const std::string& name);
// emnist-balanced -> "balanced".
std::string emnist_split(const std::string& name);

// Base names (without ".gz") of one set's files; `train` picks train over test.
struct OfficialNames {
  std::string images, labels, csv;  // csv empty where no CSV form exists
};
OfficialNames official_names(const std::string& name, bool train);
std::string mapping_file_name(const std::string& name);  // empty where none

// What to put in a folder to make `name` loadable, for the "no images" message.
std::string files_hint(const std::string& name);

}  // namespace emnist::data
