#include "emnist/study.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "emnist/compare.hpp"
#include "emnist/cuda_info.hpp"
#include "emnist/error.hpp"
#include "emnist/log_file.hpp"
#include "emnist/report_page.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/sweep.hpp"
#include "emnist/sweep_run.hpp"
#include "emnist/trainer.hpp"
#include "text_file.hpp"

namespace emnist {
namespace {

// configs/<name> from the working directory, else from the source tree the binary was built from.
std::filesystem::path default_sweep_file(const std::string& name) {
  const std::filesystem::path local = std::filesystem::path("configs") / name;
  if (std::filesystem::is_regular_file(local)) return local;
#ifdef EMNIST_SOURCE_DIR
  const auto source = std::filesystem::path(EMNIST_SOURCE_DIR) / "configs" / name;
  if (std::filesystem::is_regular_file(source)) return source;
#endif
  const std::string model = name.substr(6, name.size() - 6 - 5);  // sweep-<model>.toml
  throw UserError("configs/" + name + ": not found; run from the source tree or give --sweep-" +
                  model + " FILE");
}

std::string to_upper(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return text;
}

struct ModelPart {
  std::string model;  // mlp, cnn, resnet
  SweepSpec spec;
  SweepReport sweep;
  std::filesystem::path final_dir;
};

// The best configuration on the whole training split, evaluated on the test split; a finished run
// of the same configuration is kept.
void train_final(const std::filesystem::path& sweep_dir, const std::filesystem::path& dir) {
  const auto best = SweepFiles(sweep_dir).best();
  if (!std::filesystem::is_regular_file(best))
    throw UserError(best.string() +
                    ": no trial of the sweep finished, so there is nothing to "
                    "train; run the study again (it resumes)");
  const Config config = load_config(best);
  validate(config);
  const std::string resolved = to_toml(config);
  const RunFiles files(dir);
  if (std::filesystem::is_regular_file(files.summary()) && read_text(files.config()) == resolved) {
    spdlog::info("final run {} already trained with this configuration: kept", dir.string());
    return;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ScopedLogFile log(files.log());
  write_file_atomic(files.config(), resolved);
  spdlog::info("final run {}: the best configuration of {} on the whole training split",
               dir.string(), sweep_dir.string());
  auto backend = make_backend(config.train.device, &config.train);
  train_run(config, *backend, dir);
  try {
    make_report(dir);
  } catch (const std::exception& e) {
    spdlog::info("plots skipped: {}", e.what());
  }
}

}  // namespace

std::string run_study(const StudyOptions& o) {
  const std::filesystem::path out = o.out.empty() ? std::filesystem::path("runs/study") : o.out;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw UserError(out.string() + ": cannot create the study directory: " + ec.message());
  const StudyFiles files(out);
  const DirectoryLock lock(out, "the study directory");
  ScopedLogFile log(files.log());

  // Every sweep file is read and every trial validated before anything runs.
  struct ModelInput {
    std::string model;
    const std::vector<std::string>& sets;
    const std::filesystem::path& sweep;
  };
  std::vector<ModelInput> inputs{{"mlp", o.mlp_sets, o.sweep_mlp},
                                 {"cnn", o.cnn_sets, o.sweep_cnn}};
  if (o.resnet || !o.sweep_resnet.empty())
    inputs.push_back({"resnet", o.resnet_sets, o.sweep_resnet});
  std::vector<ModelPart> parts;
  for (const ModelInput& input : inputs) {
    SweepOverrides ov;
    ov.data_dir = o.data;
    ov.device = o.device;
    ov.sets = o.sets;
    ov.sets.insert(ov.sets.end(), input.sets.begin(), input.sets.end());
    ov.folds = o.folds;
    const auto file =
        input.sweep.empty() ? default_sweep_file("sweep-" + input.model + ".toml") : input.sweep;
    ModelPart part{input.model, load_sweep(file, ov), {}, files.final_run(input.model)};
    parts.push_back(std::move(part));
  }

  for (auto& part : parts) {
    SweepRunOptions so;
    so.out = files.sweep(part.model);
    std::filesystem::create_directories(so.out);
    ScopedLogFile sweep_log(SweepFiles(so.out).log());
    spdlog::info("study: the {} sweep", part.model);
    part.sweep = run_sweep(part.spec, so);
  }
  for (auto& part : parts) train_final(files.sweep(part.model), part.final_dir);

  std::vector<std::filesystem::path> finals;
  std::vector<std::string> titles, final_names;
  for (const auto& part : parts) {
    finals.push_back(part.final_dir);
    titles.push_back(part.model == "resnet" ? "ResNet" : to_upper(part.model));
    final_names.push_back("final-" + part.model + "/");
  }
  const std::string comparison = compare_runs(finals, files.comparison());

  std::string md = fmt::format("# Study: {}\n\n", fmt::join(titles, " vs "));
  std::string overrides;
  for (const auto& s : parts[0].spec.overrides) overrides += " `" + s + "`";
  md += "Command-line overrides (every model):" +
        (overrides.empty() ? std::string(" none") : overrides) + "\n\n## Sweeps\n\n";
  for (const auto& part : parts) {
    md += fmt::format("- **{}**: {}, {} ({}-fold cross-validation per trial): {} trials",
                      part.model, part.spec.source, mode_name(part.spec.mode), part.spec.folds,
                      part.sweep.planned);
    if (part.sweep.best_key)
      md += fmt::format("; best trial {} with mean validation accuracy {:.4f}",
                        *part.sweep.best_key, part.sweep.best_accuracy);
    md += fmt::format(" (sweep-{}/trials.md, sweep-{}/best.toml)\n", part.model, part.model);
  }
  md += "\n## Final runs: the best configurations on the whole training split, tested once\n\n";
  md += fmt::format("{}", fmt::join(final_names, ", ")) +
        " are ordinary run directories (report.html in each); the comparison below is "
        "compare/comparison.md.\n\n";
  // The comparison's own title would be a second top-level heading here.
  md += comparison.substr(comparison.find_first_not_of('\n', comparison.find('\n')));
  write_file_atomic(files.report(), md);
  spdlog::info("study {}", files.report().string());
  return comparison;
}

}  // namespace emnist
