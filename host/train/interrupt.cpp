#include "emnist/interrupt.hpp"

#include <unistd.h>

#include <csignal>

namespace emnist {
namespace {

volatile std::sig_atomic_t g_pending = 0;
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_interrupt(int signal) {
  if (g_pending != 0) {
    // The second signal: the default action, now.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_pending = signal;
  static const char message[] =
      "\nstopping after this step to write a checkpoint (interrupt again to quit at once)\n";
  // write(2) is async-signal-safe; nothing can be done about a failure here.
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, message, sizeof message - 1);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_pending = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // Restart interrupted reads and writes: the loop looks at the flag between steps.
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  g_pending = 0;
}

int InterruptGuard::pending() { return g_pending; }

}  // namespace emnist
