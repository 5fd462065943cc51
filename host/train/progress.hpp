#pragma once
// The progress of an epoch, with the time left in it and in the whole run. On a terminal, one bar
// rewritten in place on stderr:
//   epoch 3/10 |███████████▋         |  400/ 702  loss 0.4123  1234 samples/s  eta 0:42 (run 7:05)
// otherwise (a log file, a pipe, CI) each update is a log line through spdlog:
//   epoch 3/10  [ 400/ 702 batches]  loss 0.4123  1234 samples/s  eta 0:42 (run 7:05)
// The run's part is left out in the last epoch, where it would repeat the epoch's.
#include <cstdint>
#include <string>

namespace emnist {

struct ProgressFigures {
  int epoch = 1;  // 1-based
  int epochs = 1;
  int64_t batch = 0;  // batches of this epoch done
  int64_t batches = 0;
  double loss = 0;
  double samples_per_second = 0;
  double eta_seconds = 0;      // the rest of this epoch's training
  double run_eta_seconds = 0;  // the rest of the run
};

// The wall time of the last epoch a process ran whole: its training, and all of it (training,
// validation, checkpoint). Zero before one has.
struct EpochTimes {
  double train_seconds = 0;
  double whole_seconds = 0;
};

// The time left in the run when `epoch_eta_seconds` of this epoch's training remain (all of it
// taking `epoch_train_seconds` at its rate so far) and `epochs_after` epochs are still to come: the
// last whole epoch's after-training time for this one and its wall time for each to come; before
// any epoch has run whole (the first, or the first after a resume), this epoch's training time for
// each.
double run_eta_seconds(double epoch_eta_seconds, double epoch_train_seconds, int epochs_after,
                       const EpochTimes& last_whole);

// m:ss below an hour, else h:mm:ss; seconds rounded to the nearest.
std::string format_duration(double seconds);

// The log line.
std::string format_progress(const ProgressFigures& f);

// The terminal's line: a bar `bar_width` cells wide (eighth blocks when `unicode`, else '#'), or no
// bar at all when bar_width < 1.
std::string format_progress_bar(const ProgressFigures& f, int bar_width, bool unicode);

class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The bar on a terminal, the log line elsewhere.
  void update(const ProgressFigures& f);
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
