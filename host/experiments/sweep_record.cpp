#include "experiments/sweep_record.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"

namespace emnist::sweep {

void write_record(const std::filesystem::path& dir, const SweepRecord& r) {
  nlohmann::json j;
  j["name"] = r.name;
  j["source"] = r.source;
  j["description"] = r.description;
  j["mode"] = r.mode;
  j["folds"] = r.folds;
  j["axes"] = nlohmann::json::array();
  for (size_t a = 0; a < r.axes.size(); ++a)
    j["axes"].push_back({{"name", r.axes[a]}, {"kind", r.axis_kinds.at(a)}});
  j["trials"] = nlohmann::json::array();
  for (const auto& t : r.trials)
    j["trials"].push_back({{"index", t.index}, {"key", t.key}, {"values", t.labels}});
  j["shard"] = r.shard;
  j["notes"] = r.notes;
  write_file_atomic(SweepFiles(dir).plan(), j.dump(2) + "\n");
}

SweepRecord read_record(const std::filesystem::path& dir) {
  const auto path = SweepFiles(dir).plan();
  std::ifstream in(path);
  if (!in)
    throw UserError(path.string() + ": not found; is " + dir.string() +
                    " a sweep directory (of `emnist sweep`)?");
  try {
    const auto j = nlohmann::json::parse(in);
    SweepRecord r;
    r.name = j.at("name").get<std::string>();
    r.source = j.at("source").get<std::string>();
    r.description = j.value("description", "");
    r.mode = j.at("mode").get<std::string>();
    r.folds = j.at("folds").get<int>();
    for (const auto& a : j.at("axes")) {
      r.axes.push_back(a.at("name").get<std::string>());
      r.axis_kinds.push_back(a.at("kind").get<std::string>());
    }
    for (const auto& t : j.at("trials"))
      r.trials.push_back({t.at("index").get<int>(), t.at("key").get<std::string>(),
                          t.at("values").get<std::vector<std::string>>()});
    r.shard = j.value("shard", "");
    r.notes = j.value("notes", std::vector<std::string>{});
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path.string() + ": not a valid sweep record (" + e.what() + ")");
  }
}

}  // namespace emnist::sweep
