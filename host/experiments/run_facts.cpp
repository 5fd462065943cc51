#include "experiments/run_facts.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "experiments/csv_read.hpp"

namespace emnist::sweep {
namespace {

[[noreturn]] void malformed(const std::filesystem::path& path, const std::string& what) {
  throw UserError(path.string() + ": " + what);
}

double number(const std::string& text, const std::filesystem::path& path) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  malformed(path, "\"" + text + "\" is not a number");
}

ClassScores scores(const std::vector<std::string>& row, const std::filesystem::path& path) {
  if (row.size() != 5)
    malformed(path, "expected 5 fields per row (class,precision,recall,f1,support)");
  ClassScores s;
  s.precision = number(row[1], path);
  s.recall = number(row[2], path);
  s.f1 = number(row[3], path);
  s.support = static_cast<int64_t>(number(row[4], path));
  return s;
}

void read_summary(RunFacts& f) {
  const auto path = RunFiles(f.dir).summary();
  std::ifstream in(path);
  if (!in)
    throw UserError(path.string() + ": not found; is " + f.dir.string() +
                    " a finished run directory (of `emnist train`)?");
  try {
    const auto j = nlohmann::json::parse(in);
    f.model = j.at("model").get<std::string>();
    f.dataset = j.value("dataset", "");
    f.device = j.value("device", "");
    f.parameters = j.at("parameters").get<int64_t>();
    f.epochs = j.value("epochs", 0);
    f.training_seconds = j.at("training_seconds").get<double>();
    f.samples_per_second = j.at("samples_per_second").get<double>();
  } catch (const nlohmann::json::exception& e) {
    malformed(path, std::string("not what `emnist train` writes (") + e.what() + ")");
  }
}

void read_report(RunFacts& f) {
  const auto path = RunFiles(f.dir).report("test");
  if (!std::filesystem::exists(path))
    throw UserError(path.string() + ": not found; compare needs runs evaluated on a test split");
  const auto rows = read_csv_file(path);
  if (rows.empty() ||
      rows[0] != std::vector<std::string>{"class", "precision", "recall", "f1", "support"})
    malformed(path, "expected the header class,precision,recall,f1,support");
  bool accuracy = false, macro = false, weighted = false;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.size() == 1 && row[0].empty()) continue;
    if (row.empty() || row.size() != 5) malformed(path, "expected 5 fields per row");
    if (row[0] == "accuracy") {
      f.test_accuracy = number(row[3], path);
      f.test_samples = static_cast<int64_t>(number(row[4], path));
      accuracy = true;
    } else if (row[0] == "macro avg") {
      f.macro = scores(row, path);
      macro = true;
    } else if (row[0] == "weighted avg") {
      f.weighted = scores(row, path);
      weighted = true;
    } else {
      f.classes.push_back(row[0]);
      f.per_class.push_back(scores(row, path));
    }
  }
  if (!accuracy || !macro || !weighted)
    malformed(path, "the accuracy, macro avg and weighted avg rows are missing");
}

void read_confusion(RunFacts& f, int pairs) {
  const auto path = RunFiles(f.dir).confusion("test");
  const auto rows = read_csv_file(path);
  const size_t c = f.classes.size();
  if (rows.size() < c + 1 || rows[0].size() != c + 1)
    malformed(path, "expected a " + std::to_string(c) + "x" + std::to_string(c) +
                        " matrix with class names as headers");
  std::vector<int64_t> m(c * c);
  for (size_t t = 0; t < c; ++t) {
    if (rows[t + 1].size() != c + 1) malformed(path, "a row of the wrong length");
    for (size_t p = 0; p < c; ++p)
      m[t * c + p] = static_cast<int64_t>(number(rows[t + 1][p + 1], path));
  }
  for (size_t a = 0; a < c; ++a)
    for (size_t b = a + 1; b < c; ++b) {
      const ConfusedPair pair{f.classes[a], f.classes[b], m[a * c + b], m[b * c + a]};
      if (pair.total() > 0) f.confused.push_back(pair);
    }
  std::stable_sort(
      f.confused.begin(), f.confused.end(),
      [](const ConfusedPair& x, const ConfusedPair& y) { return x.total() > y.total(); });
  if (f.confused.size() > static_cast<size_t>(pairs)) f.confused.resize(static_cast<size_t>(pairs));
}

}  // namespace

RunFacts read_run_facts(const std::filesystem::path& dir, int confused_pairs) {
  RunFacts f;
  f.dir = dir;
  std::filesystem::path name = dir;
  if (!name.has_filename()) name = name.parent_path();  // "runs/a/"
  f.label = name.filename().string();
  read_summary(f);
  read_report(f);
  read_confusion(f, confused_pairs);
  return f;
}

}  // namespace emnist::sweep
