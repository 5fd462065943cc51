#pragma once
// Two kinds of failure: a user's mistake (bad file, key or value: exit code 2, one line naming the
// culprit and the fix) and everything else (a bug or a library failure: exit code 1).
#include <stdexcept>
#include <string>

namespace emnist {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

constexpr int kExitUserError = 2;

}  // namespace emnist
