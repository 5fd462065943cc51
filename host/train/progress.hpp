#pragma once
// The progress of an epoch. On a terminal, one bar rewritten in place on stderr:
//   epoch 3/10 |███████████▋         |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42
// otherwise (a log file, a pipe, CI) each update is a log line through spdlog:
//   epoch 3/10  [ 400/ 702 batches]  loss 0.4123  1234 samples/s  eta 0:42
#include <cstdint>
#include <string>

namespace emnist {

// m:ss below an hour, else h:mm:ss; seconds rounded to the nearest.
std::string format_duration(double seconds);

// The log line.
std::string format_progress(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                            double samples_per_second, double eta_seconds);

// The terminal's line: a bar `bar_width` cells wide (eighth blocks when `unicode`, else '#'), or no
// bar at all when bar_width < 1.
std::string format_progress_bar(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                                double samples_per_second, double eta_seconds, int bar_width,
                                bool unicode);

class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The bar on a terminal, the log line elsewhere.
  void update(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
              double samples_per_second, double eta_seconds);
  // Free text: rewritten in place on a terminal, a log line elsewhere.
  void update(const std::string& text);
  // Clears a terminal line so that the next log line starts clean.
  void clear();

 private:
  bool terminal_;
  bool unicode_;
  bool shown_ = false;
};

}  // namespace emnist
