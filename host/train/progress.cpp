#include "train/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace emnist {
namespace {

constexpr int kMinBar = 10, kMaxBar = 40;

int terminal_columns() {
  winsize size{};
  if (ioctl(fileno(stderr), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* env = std::getenv("COLUMNS"); env != nullptr && std::atoi(env) > 0)
    return std::atoi(env);
  return 80;
}

// The locale as POSIX picks it (LC_ALL, then LC_CTYPE, then LANG); block characters only where it
// says UTF-8, else a terminal would show mojibake.
bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
  }
  return false;
}

std::string bar(double fraction, int width, bool unicode) {
  // Eighth blocks give the bar eight steps per cell, so it moves even on a narrow terminal.
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width * 8);
  const int full = eighths / 8;
  std::string out;
  for (int i = 0; i < full; ++i) out += unicode ? "█" : "#";
  int used = full;
  if (full < width && eighths % 8 != 0) {
    out += unicode ? kEighths[eighths % 8] : (eighths % 8 >= 4 ? "#" : " ");
    ++used;
  }
  out.append(static_cast<size_t>(width - used), ' ');
  return out;
}

}  // namespace

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

std::string format_progress_bar(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                                double samples_per_second, double eta_seconds, int bar_width,
                                bool unicode) {
  const int width = std::max(4, static_cast<int>(std::to_string(batches).size()));
  const std::string counts = fmt::format("{:>{}}/{:>{}}", batch, width, batches, width);
  const std::string tail = fmt::format("loss {:.4f}  {:.0f} samples/s  eta {}", loss,
                                       samples_per_second, format_duration(eta_seconds));
  if (bar_width < 1) return fmt::format("epoch {}/{}  {}  {}", epoch, epochs, counts, tail);
  const double fraction =
      batches > 0 ? static_cast<double>(batch) / static_cast<double>(batches) : 0.0;
  return fmt::format("epoch {}/{} |{}| {}  {}", epoch, epochs, bar(fraction, bar_width, unicode),
                     counts, tail);
}

ProgressLine::ProgressLine() : terminal_(isatty(fileno(stderr)) != 0), unicode_(utf8_locale()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                          double samples_per_second, double eta_seconds) {
  if (!terminal_) {
    spdlog::info("{}", format_progress(epoch, epochs, batch, batches, loss, samples_per_second,
                                       eta_seconds));
    return;
  }
  // The line without its bar tells how much room the bar has; one column spare, since writing the
  // last column makes some terminals wrap.
  const int columns = terminal_columns();
  const int rest = static_cast<int>(format_progress_bar(epoch, epochs, batch, batches, loss,
                                                        samples_per_second, eta_seconds, 0, false)
                                        .size());
  const int room = columns - 1 - (rest + 2);
  const int width = room < kMinBar ? 0 : std::min(room, kMaxBar);
  update(format_progress_bar(epoch, epochs, batch, batches, loss, samples_per_second, eta_seconds,
                             width, unicode_));
}

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
