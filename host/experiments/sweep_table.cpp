#include "experiments/sweep_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "emnist/report_files.hpp"
#include "emnist/run_dir.hpp"
#include "experiments/trial_store.hpp"
#include "text_file.hpp"

namespace emnist::sweep {
namespace {

int status_rank(const std::string& status) {
  return status == "done" ? 0 : status == "pruned" ? 1 : 2;
}

// NaN sorts last whichever way the column is ordered.
double or_worst(double v, double worst) { return std::isfinite(v) ? v : worst; }

std::string fixed(double v, int digits) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : std::string();
}

std::vector<std::string> header(const SweepRecord& record) {
  std::vector<std::string> h = {"rank", "trial", "key"};
  h.insert(h.end(), record.axes.begin(), record.axes.end());
  for (const char* c :
       {"status", "folds", "val_accuracy_mean", "val_accuracy_std", "val_loss_mean", "val_loss_std",
        "epochs", "seconds", "val_balanced_accuracy_mean", "val_macro_f1_mean"})
    h.emplace_back(c);
  return h;
}

std::vector<std::string> cells(size_t rank, const TableRow& row) {
  const TrialResult& r = row.result;
  std::vector<std::string> c = {std::to_string(rank), std::to_string(row.plan.index), row.plan.key};
  c.insert(c.end(), row.plan.labels.begin(), row.plan.labels.end());
  c.push_back(r.status);
  c.push_back(fmt::format("{}/{}", r.folds.size(), r.folds_planned));
  c.push_back(fixed(r.mean_accuracy(), 6));
  c.push_back(fixed(r.std_accuracy(), 6));
  c.push_back(fixed(r.mean_loss(), 6));
  c.push_back(fixed(r.std_loss(), 6));
  c.push_back(std::to_string(r.epochs));
  c.push_back(fixed(r.seconds, 1));
  c.push_back(fixed(r.mean_balanced_accuracy(), 6));
  c.push_back(fixed(r.mean_macro_f1(), 6));
  return c;
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += '\\';
    out += ch;
  }
  return out.empty() ? " " : out;
}

std::string markdown(const SweepRecord& record, const std::vector<TableRow>& rows) {
  std::string md = fmt::format("# Sweep {}\n\n", record.name);
  if (!record.description.empty()) md += record.description + "\n\n";
  md += fmt::format(
      "- {} ({}), {} trials planned{}; each trial: stratified {}-fold cross-validation\n",
      record.source, record.mode, record.trials.size(),
      record.shard.empty() ? "" : ", shard " + record.shard + " of them", record.folds);
  for (const auto& note : record.notes) md += "- " + note + "\n";
  const auto best = std::find_if(rows.begin(), rows.end(),
                                 [](const TableRow& r) { return r.result.status == "done"; });
  if (best != rows.end())
    md += fmt::format(
        "- best: trial {} ({}), validation accuracy {:.4f} ± {:.4f} over {} folds: best.toml\n",
        best->plan.index, best->plan.key, best->result.mean_accuracy(), best->result.std_accuracy(),
        best->result.folds.size());
  md +=
      "\nSorted best first by mean validation accuracy; std is the sample standard deviation "
      "over the folds; seconds is the whole trial (all folds).\n\n";
  const auto h = header(record);
  md += "|";
  for (const auto& c : h) md += " " + markdown_cell(c) + " |";
  md += "\n|";
  for (size_t i = 0; i < h.size(); ++i) md += i < 4 + record.axes.size() ? " --- |" : " ---: |";
  md += "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    md += "|";
    for (const auto& c : cells(i + 1, rows[i])) md += " " + markdown_cell(c) + " |";
    md += "\n";
  }
  std::vector<const TableRow*> notes;
  for (const auto& row : rows)
    if (!row.result.note.empty()) notes.push_back(&row);
  if (!notes.empty()) {
    md += "\n";
    for (const auto* row : notes)
      md += fmt::format("- trial {} ({}): {}: {}\n", row->plan.index, row->plan.key,
                        row->result.status, row->result.note);
  }
  return md;
}

}  // namespace

std::vector<TableRow> collect_rows(const std::filesystem::path& dir, const SweepRecord& record) {
  std::vector<TableRow> rows;
  for (const auto& plan : record.trials)
    if (auto result = read_result(dir, plan.key)) rows.push_back({plan, std::move(*result)});
  return rows;
}

void sort_rows(std::vector<TableRow>& rows) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::stable_sort(rows.begin(), rows.end(), [&](const TableRow& a, const TableRow& b) {
    const int sa = status_rank(a.result.status), sb = status_rank(b.result.status);
    if (sa != sb) return sa < sb;
    if (sa < 2) {
      const double aa = or_worst(a.result.mean_accuracy(), -kInf);
      const double ab = or_worst(b.result.mean_accuracy(), -kInf);
      if (aa != ab) return aa > ab;
      const double la = or_worst(a.result.mean_loss(), kInf);
      const double lb = or_worst(b.result.mean_loss(), kInf);
      if (la != lb) return la < lb;
    }
    return a.plan.index < b.plan.index;
  });
}

void write_tables(const std::filesystem::path& dir, const SweepRecord& record,
                  const std::vector<TableRow>& rows) {
  std::string csv;
  const auto h = header(record);
  for (size_t i = 0; i < h.size(); ++i) csv += (i ? "," : "") + csv_field(h[i]);
  csv += "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto c = cells(r + 1, rows[r]);
    for (size_t i = 0; i < c.size(); ++i) csv += (i ? "," : "") + csv_field(c[i]);
    csv += "\n";
  }
  const SweepFiles files(dir);
  write_file_atomic(files.table_csv(), csv);
  write_file_atomic(files.table_md(), markdown(record, rows));

  const auto best = std::find_if(rows.begin(), rows.end(),
                                 [](const TableRow& r) { return r.result.status == "done"; });
  if (best == rows.end()) {
    std::error_code ec;
    std::filesystem::remove(files.best(), ec);
    return;
  }
  const std::string config = read_text(files.trial_config(best->plan.key));
  std::string values;
  for (size_t a = 0; a < record.axes.size(); ++a)
    values += fmt::format("\n#   {} = {}", record.axes[a], best->plan.labels.at(a));
  write_file_atomic(
      files.best(),
      fmt::format("# The best trial of sweep {} (trial {}, key {}): mean validation accuracy "
                  "{:.4f} +- {:.4f} over {} folds, with{}\n# Train it on the whole training "
                  "split: emnist train --config best.toml\n{}",
                  record.name, best->plan.index, best->plan.key, best->result.mean_accuracy(),
                  best->result.std_accuracy(), best->result.folds.size(), values, config));
}

}  // namespace emnist::sweep
