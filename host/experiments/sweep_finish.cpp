#include "experiments/sweep_finish.hpp"

#include <spdlog/spdlog.h>

#include "emnist/report_page.hpp"
#include "emnist/run_dir.hpp"
#include "experiments/sweep_table.hpp"

namespace emnist::sweep {

void finish_sweep(const std::filesystem::path& dir, const SweepRecord& record, SweepReport& report,
                  bool plots) {
  write_record(dir, record);
  auto rows = collect_rows(dir, record);
  sort_rows(rows);
  write_tables(dir, record, rows);
  for (const auto& row : rows) {
    if (row.result.status != "done") continue;
    report.best_key = row.plan.key;
    report.best_accuracy = row.result.mean_accuracy();
    break;
  }
  if (!plots) return;
  try {
    run_plot_tool("plot_sweep.py", {dir.string()});
    spdlog::info("plots {}", SweepFiles(dir).axes_plot().string());
  } catch (const PlotDependencyMissing& e) {
    spdlog::info("plots skipped: {}", e.what());
  } catch (const std::exception& e) {
    spdlog::warn("plots skipped: {}", e.what());
  }
  spdlog::info("table {} ({} of {} trials have results)", SweepFiles(dir).table_md().string(),
               rows.size(), record.trials.size());
  if (report.best_key)
    spdlog::info("best trial {}: mean validation accuracy {:.4f}; its configuration: {}",
                 *report.best_key, report.best_accuracy, SweepFiles(dir).best().string());
  else
    spdlog::warn("no trial has finished yet: no best.toml");
}

}  // namespace emnist::sweep
