#pragma once
// `emnist report`: the plots (plots/*.png) and one self-contained report.html for a run directory,
// drawn by share/emnist/plot_run.py with matplotlib from the run directory's files alone. Python is
// only needed here: training and evaluation never depend on it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "emnist/error.hpp"

namespace emnist {

// No Python with matplotlib: the message says what to install. Training catches this one and goes
// on without plots.
class PlotDependencyMissing : public UserError {
 public:
  explicit PlotDependencyMissing(const std::string& message) : UserError(message) {}
};

// The interpreter for the plots: $EMNIST_PYTHON when set (taken as the user's choice, never
// second-guessed by falling back), else /usr/bin/python3, else python3 on PATH, the first that can
// import matplotlib and numpy. Throws PlotDependencyMissing when none can.
std::string find_plot_python();

// The runtime Python's plot_run.py: $EMNIST_PLOT_SCRIPT, else share/emnist/ in the source tree
// this binary was built from, else ../share/emnist/ from the binary (an installed copy, or a build
// folder in the source tree). Throws UserError when none exists.
std::filesystem::path find_plot_script();

// Writes run_dir/plots/*.png and run_dir/report.html (each atomically). UserError when run_dir is
// not a run directory or the script rejects it; PlotDependencyMissing when there is no interpreter.
void make_report(const std::filesystem::path& run_dir);

// Runs share/emnist/<script> (beside plot_run.py) with find_plot_python() and `args`: the figures
// of sweeps and comparisons. The script's exit code 2 is a UserError with its last line.
void run_plot_tool(const std::string& script, const std::vector<std::string>& args);

}  // namespace emnist
