#include "e2e/run_cli.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "emnist/config.hpp"
#include "support/train_fixtures.hpp"

namespace emnist::e2e {

std::filesystem::path write_setup(const test::TempDir& dir) {
  Config c = train_test::synthetic_idx_run(dir.path(), 640, 160, 31);
  c.model.dropout = 0.2;
  c.train.device = emnist::DeviceChoice::cpu;
  const auto path = dir / "run.toml";
  test::write_file(path, to_toml(c));
  return path;
}

test::CommandResult cli(const std::string& args, const std::string& fault) {
  setenv("OMP_WAIT_POLICY", "passive", 0);
  setenv("EMNIST_PYTHON", "/bin/false", 1);
  if (fault.empty())
    unsetenv("EMNIST_FAULT");
  else
    setenv("EMNIST_FAULT", fault.c_str(), 1);
  const test::CommandResult r = test::run_cli(args);
  unsetenv("EMNIST_FAULT");
  return r;
}

test::CommandResult train(const std::filesystem::path& config, const std::filesystem::path& run,
                          const std::string& fault) {
  return cli("train -c '" + config.string() + "' --out '" + run.string() + "'", fault);
}

test::CommandResult resume(const std::filesystem::path& run, const std::string& more,
                           const std::string& fault) {
  return cli("train --resume '" + run.string() + "'" + more, fault);
}

void train_until_interrupted(const Setup& setup, int64_t step) {
  const auto r = train(setup.config, setup.run, "sigint@step=" + std::to_string(step));
  INFO(r.output);
  REQUIRE(r.exit_code == 130);
}

void check_succeeded(const test::CommandResult& r) {
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

void check_refused(const test::CommandResult& r, const std::string& message) {
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Matchers::Contains(message));
}

}  // namespace emnist::e2e
