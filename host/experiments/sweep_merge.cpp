// merge_sweeps: the shards of one sweep (each ran every N-th trial into its own directory) joined
// into one directory, with the table of all their trials.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/sweep_run.hpp"
#include "experiments/sweep_finish.hpp"
#include "experiments/sweep_record.hpp"
#include "experiments/trial_store.hpp"

namespace emnist {
namespace {

std::vector<std::string> keys_of(const sweep::SweepRecord& r) {
  std::vector<std::string> keys;
  for (const auto& t : r.trials) keys.push_back(t.key);
  return keys;
}

}  // namespace

SweepReport merge_sweeps(const std::vector<std::filesystem::path>& dirs,
                         const std::filesystem::path& out) {
  if (dirs.empty()) throw UserError("--merge: give the sweep directories to join");
  std::vector<sweep::SweepRecord> records;
  for (const auto& d : dirs) records.push_back(sweep::read_record(d));
  const auto& first = records.front();
  for (size_t i = 1; i < records.size(); ++i)
    if (keys_of(records[i]) != keys_of(first) || records[i].folds != first.folds)
      throw UserError(fmt::format(
          "{}: not a shard of the same sweep as {} (its planned trials differ); merge the "
          "shards of one sweep file run with the same overrides",
          dirs[i].string(), dirs[0].string()));

  const std::filesystem::path target = out.empty() ? dirs.front() : out;
  std::error_code ec;
  std::filesystem::create_directories(SweepFiles(target).trials(), ec);
  if (ec) throw UserError(target.string() + ": cannot create the directory: " + ec.message());
  const auto same = [&](const std::filesystem::path& d) {
    return std::filesystem::equivalent(d, target, ec);
  };
  int copied = 0;
  for (const auto& d : dirs) {
    if (same(d)) continue;
    for (const auto& key : keys_of(first)) {
      const auto from = SweepFiles(d).trial(key);
      const auto to = SweepFiles(target).trial(key);
      if (!std::filesystem::exists(SweepFiles(d).trial_result(key)) ||
          std::filesystem::exists(SweepFiles(target).trial_result(key)))
        continue;
      // result.json last: a merge interrupted half-way leaves no trial looking finished.
      std::filesystem::remove_all(to);
      std::filesystem::create_directories(to);
      for (const auto& entry : std::filesystem::directory_iterator(from))
        if (entry.path().filename() != SweepFiles::kResultName)
          std::filesystem::copy(entry.path(), to / entry.path().filename(),
                                std::filesystem::copy_options::recursive);
      std::filesystem::copy_file(SweepFiles(d).trial_result(key),
                                 SweepFiles(target).trial_result(key));
      ++copied;
    }
    const SweepFiles shard(d), merged(target);
    if (!same(d) && !std::filesystem::exists(merged.spec()) &&
        std::filesystem::exists(shard.spec()))
      std::filesystem::copy_file(shard.spec(), merged.spec());
  }

  sweep::SweepRecord merged = first;
  merged.shard.clear();
  merged.notes.clear();
  std::string from;
  for (const auto& r : records) from += " " + (r.shard.empty() ? std::string("whole") : r.shard);
  merged.notes.push_back(fmt::format("merged from {} directories (shards:{})", dirs.size(), from));
  for (const auto& note : first.notes)
    if (note.starts_with("cross-validation on") || note.starts_with("command-line overrides"))
      merged.notes.push_back(note);

  SweepReport report;
  report.dir = target;
  report.planned = static_cast<int>(merged.trials.size());
  for (const auto& t : merged.trials)
    if (std::filesystem::exists(SweepFiles(target).trial_result(t.key))) ++report.skipped;
  spdlog::info("merge: {} trial results copied into {}; {} of {} planned trials have results",
               copied, target.string(), report.skipped, report.planned);
  if (report.skipped < report.planned)
    merged.notes.push_back(fmt::format("{} of {} planned trials have no result yet",
                                       report.planned - report.skipped, report.planned));
  sweep::finish_sweep(target, merged, report, true);
  return report;
}

}  // namespace emnist
