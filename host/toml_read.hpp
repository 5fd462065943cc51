#pragma once
// Reading the engine's own TOML files (run configs, sweep files): parsing with the file, line and
// column of a syntax error, and typed reads whose errors name the source and the key. One set of
// readers, so a key reads and fails the same way in a config and in a sweep.
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace emnist {

// The whole text of a file the user named, or a UserError "<what> PATH: no such file (HINT)".
std::string read_user_file(const std::filesystem::path& path, const std::string& what,
                           const std::string& hint);
// A UserError "SOURCE:LINE:COLUMN: not valid TOML: ..." on a syntax error.
toml::table parse_toml(const std::string& text, const std::string& source);

// A value as a message shows it: "ten" in quotes, numbers as written, "an array", "a table".
std::string describe(const toml::node& node);
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// Typed reads from one source ("config x.toml", "--set ...", "sweep s.toml"); each failure is a
// UserError "SOURCE: KEY: what is wrong and what is allowed".
class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }
  std::string at(const std::string& key) const { return source_ + ": " + key; }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  // An integer in [lo, hi]; a hi of INT32_MAX reads "any larger" in the message.
  int64_t integer(const toml::node& node, const std::string& key, int64_t lo, int64_t hi) const;
  double number(const toml::node& node, const std::string& key) const;
  bool boolean(const toml::node& node, const std::string& key) const;
  std::string string(const toml::node& node, const std::string& key) const;
  // One of `allowed`, as a string.
  std::string choice(const toml::node& node, const std::string& key,
                     const std::vector<std::string>& allowed) const;

 private:
  std::string source_;
};

}  // namespace emnist
