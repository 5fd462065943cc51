#include "use/finished_run.hpp"

#include <fmt/format.h>

#include "emnist/error.hpp"
#include "emnist/predict.hpp"
#include "emnist/run_dir.hpp"

namespace emnist {

FinishedRun read_finished_run(const std::filesystem::path& run_dir) {
  const RunFiles files(run_dir);
  if (!std::filesystem::is_directory(run_dir))
    throw UserError(fmt::format("{}: no such run directory", run_dir.string()));
  if (!std::filesystem::is_regular_file(files.config()))
    throw UserError(fmt::format("{}: not found; is {} a run directory?", files.config().string(),
                                run_dir.string()));
  if (!std::filesystem::is_regular_file(files.model()))
    throw UserError(
        fmt::format("{}: not found; the run has not finished (train it to the end, or resume it)",
                    files.model().string()));
  FinishedRun run;
  run.config = load_config(files.config());
  validate(run.config);
  run.class_names = run_class_names(run_dir);
  run.weights = read_safetensors(files.model());
  return run;
}

}  // namespace emnist
