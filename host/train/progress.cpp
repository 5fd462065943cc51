#include "emnist/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace emnist {

std::string format_duration(double seconds) {
  const int64_t total = std::isfinite(seconds) && seconds > 0 ? std::llround(seconds) : 0;
  const int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  if (h > 0) return fmt::format("{}:{:02d}:{:02d}", h, m, s);
  return fmt::format("{}:{:02d}", m, s);
}

std::string format_progress(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                            double samples_per_second, double eta_seconds) {
  // At least four digits wide, so the line keeps its shape as an epoch goes from 9 to 10 batches.
  const int width = std::max(4, static_cast<int>(std::to_string(batches).size()));
  return fmt::format("epoch {}/{}  [{:>{}}/{:>{}} batches]  loss {:.4f}  {:.0f} samples/s  eta {}",
                     epoch, epochs, batch, width, batches, width, loss, samples_per_second,
                     format_duration(eta_seconds));
}

ProgressLine::ProgressLine() : terminal_(isatty(fileno(stderr)) != 0) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const std::string& text) {
  if (terminal_) {
    std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
    std::fflush(stderr);
    shown_ = true;
  } else {
    spdlog::info("{}", text);
  }
}

void ProgressLine::clear() {
  if (terminal_ && shown_) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }
}

}  // namespace emnist
