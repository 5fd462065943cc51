// compare_runs: the side-by-side tables of finished runs, and their figure.
#include "emnist/compare.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "emnist/error.hpp"
#include "emnist/report_files.hpp"
#include "emnist/report_page.hpp"
#include "emnist/run_dir.hpp"
#include "experiments/run_facts.hpp"

namespace emnist {
namespace {

using sweep::RunFacts;

// Two runs both called "run" (runs/a/run, runs/b/run) get their parents' names too.
void unique_labels(std::vector<RunFacts>& runs) {
  std::map<std::string, int> count;
  for (const auto& r : runs) ++count[r.label];
  for (auto& r : runs)
    if (count[r.label] > 1) {
      std::filesystem::path p = r.dir;
      if (!p.has_filename()) p = p.parent_path();
      if (p.has_parent_path()) r.label = p.parent_path().filename().string() + "/" + r.label;
    }
  std::set<std::string> seen;
  for (size_t i = 0; i < runs.size(); ++i)
    if (!seen.insert(runs[i].label).second) runs[i].label += fmt::format(" #{}", i + 1);
}

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// Every class of any run, in the order they first appear (the runs normally share one list).
std::vector<std::string> all_classes(const std::vector<RunFacts>& runs) {
  std::vector<std::string> classes;
  std::set<std::string> seen;
  for (const auto& r : runs)
    for (const auto& c : r.classes)
      if (seen.insert(c).second) classes.push_back(c);
  return classes;
}

const ClassScores* scores_of(const RunFacts& r, const std::string& name) {
  for (size_t i = 0; i < r.classes.size(); ++i)
    if (r.classes[i] == name) return &r.per_class[i];
  return nullptr;
}

struct Row {
  std::string name;
  std::string (*value)(const RunFacts&);
  bool higher_is_better;
};

const std::vector<Row>& summary_rows() {
  static const std::vector<Row> rows = {
      {"model", [](const RunFacts& r) { return r.model; }, false},
      {"test accuracy", [](const RunFacts& r) { return fmt::format("{:.4f}", r.test_accuracy); },
       true},
      {"macro precision",
       [](const RunFacts& r) { return fmt::format("{:.4f}", r.macro.precision); }, true},
      {"macro recall (balanced accuracy)",
       [](const RunFacts& r) { return fmt::format("{:.4f}", r.macro.recall); }, true},
      {"macro F1", [](const RunFacts& r) { return fmt::format("{:.4f}", r.macro.f1); }, true},
      {"weighted precision",
       [](const RunFacts& r) { return fmt::format("{:.4f}", r.weighted.precision); }, true},
      {"weighted recall",
       [](const RunFacts& r) { return fmt::format("{:.4f}", r.weighted.recall); }, true},
      {"weighted F1", [](const RunFacts& r) { return fmt::format("{:.4f}", r.weighted.f1); }, true},
      {"parameters", [](const RunFacts& r) { return fmt::format("{}", r.parameters); }, false},
      {"epochs", [](const RunFacts& r) { return fmt::format("{}", r.epochs); }, false},
      {"training time (s)",
       [](const RunFacts& r) { return fmt::format("{:.1f}", r.training_seconds); }, false},
      {"samples/s", [](const RunFacts& r) { return fmt::format("{:.0f}", r.samples_per_second); },
       false},
      {"test samples", [](const RunFacts& r) { return fmt::format("{}", r.test_samples); }, false},
      {"device", [](const RunFacts& r) { return r.device; }, false},
  };
  return rows;
}

// Runs tested on different data: their figures measure different things, so none is the best.
std::string incomparable_note(const std::vector<RunFacts>& runs) {
  for (const auto& r : runs)
    if (r.dataset != runs.front().dataset || r.test_samples != runs.front().test_samples)
      return fmt::format(
          "runs tested on different data ({} with {} test images, {} with {}): their figures are "
          "not comparable, and none is marked best",
          runs.front().label, runs.front().test_samples, r.label, r.test_samples);
  return "";
}

std::string markdown(const std::vector<RunFacts>& runs, const std::string& note) {
  std::string md = "# Comparison\n\n";
  for (const auto& r : runs)
    md += fmt::format("- **{}**: {} ({}, {} epochs, {} test images of {})\n", cell(r.label),
                      r.dir.string(), r.model, r.epochs, r.test_samples, r.dataset);
  if (!note.empty()) md += "\n**Warning:** " + note + ".\n";
  md += "\n| |";
  for (const auto& r : runs) md += " " + cell(r.label) + " |";
  md += "\n|---|";
  for (size_t i = 0; i < runs.size(); ++i) md += "---:|";
  md += "\n";
  for (const Row& row : summary_rows()) {
    // The best of several runs in bold, where higher is better.
    double best = -1;
    if (row.higher_is_better && runs.size() > 1 && note.empty())
      for (const auto& r : runs) best = std::max(best, std::stod(row.value(r)));
    md += "| " + row.name + " |";
    for (const auto& r : runs) {
      const std::string v = row.value(r);
      const bool bold = best >= 0 && std::stod(v) == best;
      md += " " + (bold ? "**" + cell(v) + "**" : cell(v)) + " |";
    }
    md += "\n";
  }

  md += "\n## Per-class F1 (test)\n\n| class | support |";
  for (const auto& r : runs) md += " " + cell(r.label) + " |";
  if (runs.size() == 2) md += " difference |";
  md += "\n|---|---:|";
  for (size_t i = 0; i < runs.size() + (runs.size() == 2 ? 1 : 0); ++i) md += "---:|";
  md += "\n";
  for (const auto& name : all_classes(runs)) {
    const ClassScores* first = nullptr;
    for (const auto& r : runs)
      if ((first = scores_of(r, name)) != nullptr) break;
    md += fmt::format("| {} | {} |", cell(name), first != nullptr ? first->support : 0);
    std::vector<const ClassScores*> s;
    for (const auto& r : runs) {
      s.push_back(scores_of(r, name));
      md += s.back() != nullptr ? fmt::format(" {:.4f} |", s.back()->f1) : std::string(" |");
    }
    if (runs.size() == 2)
      md += s[0] != nullptr && s[1] != nullptr ? fmt::format(" {:+.4f} |", s[1]->f1 - s[0]->f1)
                                               : std::string(" |");
    md += "\n";
  }
  if (runs.size() == 2)
    md += fmt::format("\ndifference: {} minus {}.\n", cell(runs[1].label), cell(runs[0].label));

  md += "\n## Most confused pairs (test)\n";
  for (const auto& r : runs) {
    md += fmt::format("\n**{}**\n\n| pair | confusions | a as b | b as a |\n|---|---:|---:|---:|\n",
                      cell(r.label));
    for (const auto& p : r.confused)
      md += fmt::format("| {} / {} | {} | {} | {} |\n", cell(p.a), cell(p.b), p.total(), p.a_as_b,
                        p.b_as_a);
  }
  return md;
}

std::string comparison_csv(const std::vector<RunFacts>& runs) {
  std::string csv =
      "run,dir,model,parameters,epochs,test_samples,test_accuracy,macro_precision,macro_recall,"
      "macro_f1,weighted_precision,weighted_recall,weighted_f1,training_seconds,"
      "samples_per_second\n";
  for (const auto& r : runs)
    csv += fmt::format(
        "{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.3f},{:.1f}\n",
        csv_field(r.label), csv_field(r.dir.string()), csv_field(r.model), r.parameters, r.epochs,
        r.test_samples, r.test_accuracy, r.macro.precision, r.macro.recall, r.macro.f1,
        r.weighted.precision, r.weighted.recall, r.weighted.f1, r.training_seconds,
        r.samples_per_second);
  return csv;
}

std::string per_class_csv(const std::vector<RunFacts>& runs) {
  std::string csv = "class,support";
  for (const auto& r : runs) csv += "," + csv_field(r.label);
  csv += "\n";
  for (const auto& name : all_classes(runs)) {
    const ClassScores* first = nullptr;
    for (const auto& r : runs)
      if ((first = scores_of(r, name)) != nullptr) break;
    csv += fmt::format("{},{}", csv_field(name), first != nullptr ? first->support : 0);
    for (const auto& r : runs) {
      const ClassScores* s = scores_of(r, name);
      csv += s != nullptr ? fmt::format(",{:.6f}", s->f1) : std::string(",");
    }
    csv += "\n";
  }
  return csv;
}

}  // namespace

std::string compare_runs(const std::vector<std::filesystem::path>& dirs,
                         const std::filesystem::path& out) {
  if (dirs.empty()) throw UserError("compare: give at least one run directory");
  // report.html and the tables must not land over a run's or a sweep's own files.
  const DirectoryKind kind = directory_kind(out);
  if (kind == DirectoryKind::run || kind == DirectoryKind::interrupted_run ||
      kind == DirectoryKind::sweep)
    throw UserError("--out " + out.string() + ": holds " + describe(kind) +
                    ", whose files a comparison would overwrite; choose another --out");
  std::vector<RunFacts> runs;
  for (const auto& d : dirs) runs.push_back(sweep::read_run_facts(d));
  unique_labels(runs);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw UserError(out.string() + ": cannot create the directory: " + ec.message());
  const std::string note = incomparable_note(runs);
  if (!note.empty()) spdlog::warn("{}", note);
  const std::string md = markdown(runs, note);
  const ComparisonFiles files(out);
  write_file_atomic(files.table_csv(), comparison_csv(runs));
  write_file_atomic(files.per_class_f1(), per_class_csv(runs));
  write_file_atomic(files.table_md(), md);
  try {
    run_plot_tool("plot_compare.py", {out.string()});
    spdlog::info("plot {}", files.plot().string());
  } catch (const PlotDependencyMissing& e) {
    spdlog::info("plots skipped: {}", e.what());
  } catch (const std::exception& e) {
    spdlog::warn("plots skipped: {}", e.what());
  }
  spdlog::info("comparison in {}", out.string());
  return md;
}

}  // namespace emnist
