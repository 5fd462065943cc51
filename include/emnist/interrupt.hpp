#pragma once
// SIGINT and SIGTERM during training. The first signal asks the training loop to stop at the next
// step boundary, write a checkpoint and end with Interrupted; a second one ends the process at once
// (the signal's default action), for a user who will not wait for the checkpoint.
#include <stdexcept>
#include <string>

namespace emnist {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // restores the previous ones and forgets a signal not acted on
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal received since construction (SIGINT or SIGTERM), or 0.
  static int pending();
};

// Training stopped on a signal after writing its checkpoint. The command line exits with
// 128 + signal, as a shell reports a process the signal ended.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& message)
      : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace emnist
