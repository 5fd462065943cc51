#pragma once
// The progress line during an epoch:
//   epoch 3/10  [ 400/ 702 batches]  loss 0.4123  1234 samples/s  eta 0:42
// On a terminal it is one line rewritten in place on stderr; otherwise (a log file, a pipe, CI)
// each update is a log line through spdlog.
#include <cstdint>
#include <string>

namespace emnist {

// m:ss below an hour, else h:mm:ss; seconds rounded to the nearest.
std::string format_duration(double seconds);

std::string format_progress(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                            double samples_per_second, double eta_seconds);

class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(const std::string& text);
  // Clears a terminal line so that the next log line starts clean.
  void clear();

 private:
  bool terminal_;
  bool shown_ = false;
};

}  // namespace emnist
