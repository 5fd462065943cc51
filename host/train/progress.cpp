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

double run_eta_seconds(double epoch_eta_seconds, double epoch_train_seconds, int epochs_after,
                       const EpochTimes& last_whole) {
  if (last_whole.whole_seconds > 0)
    return epoch_eta_seconds + (last_whole.whole_seconds - last_whole.train_seconds) +
           epochs_after * last_whole.whole_seconds;
  return epoch_eta_seconds + epochs_after * epoch_train_seconds;
}

namespace {

std::string tail(const ProgressFigures& f) {
  std::string text = fmt::format("loss {:.4f}  {:.0f} samples/s  eta {}", f.loss,
                                 f.samples_per_second, format_duration(f.eta_seconds));
  if (f.epoch < f.epochs) text += fmt::format(" (run {})", format_duration(f.run_eta_seconds));
  return text;
}

// At least four digits wide, so the line keeps its shape as an epoch goes from 9 to 10 batches.
std::string counts(const ProgressFigures& f) {
  const int width = std::max(4, static_cast<int>(std::to_string(f.batches).size()));
  return fmt::format("{:>{}}/{:>{}}", f.batch, width, f.batches, width);
}

}  // namespace

std::string format_progress(const ProgressFigures& f) {
  return fmt::format("epoch {}/{}  [{} batches]  {}", f.epoch, f.epochs, counts(f), tail(f));
}

std::string format_progress_bar(const ProgressFigures& f, int bar_width, bool unicode) {
  if (bar_width < 1)
    return fmt::format("epoch {}/{}  {}  {}", f.epoch, f.epochs, counts(f), tail(f));
  const double fraction =
      f.batches > 0 ? static_cast<double>(f.batch) / static_cast<double>(f.batches) : 0.0;
  return fmt::format("epoch {}/{} |{}| {}  {}", f.epoch, f.epochs,
                     bar(fraction, bar_width, unicode), counts(f), tail(f));
}

ProgressLine::ProgressLine() : terminal_(isatty(fileno(stderr)) != 0), unicode_(utf8_locale()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const ProgressFigures& f) {
  if (!terminal_) {
    spdlog::info("{}", format_progress(f));
    return;
  }
  // The line without its bar tells how much room the bar has; one column spare, since writing the
  // last column makes some terminals wrap.
  const int columns = terminal_columns();
  const int rest = static_cast<int>(format_progress_bar(f, 0, false).size());
  const int room = columns - 1 - (rest + 2);
  const int width = room < kMinBar ? 0 : std::min(room, kMaxBar);
  update(format_progress_bar(f, width, unicode_));
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
