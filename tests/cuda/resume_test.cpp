// Interrupt-and-resume on the GPU, through the command line: in deterministic mode a run stopped
// by SIGINT mid-epoch and continued with --resume writes the same model.safetensors, byte for
// byte, as the same run never interrupted (tests/e2e/cli_resume_test.cpp does the same on the CPU).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "emnist/checkpoint.hpp"
#include "emnist/config.hpp"
#include "model_fixtures.hpp"
#include "support/support.hpp"
#include "support/synthetic_data.hpp"

using namespace emnist;

namespace {

test::CommandResult cli(const std::string& args, const char* fault) {
  setenv("EMNIST_PYTHON", "/bin/false", 1);
  if (fault != nullptr)
    setenv("EMNIST_FAULT", fault, 1);
  else
    unsetenv("EMNIST_FAULT");
  const test::CommandResult r = test::run_cli(args);
  unsetenv("EMNIST_FAULT");
  return r;
}

}  // namespace

TEST_CASE("cuda resume: a deterministic GPU run stopped mid-epoch resumes to the same bytes",
          "[cuda][resume]") {
  test::TempDir dir("emnist-cuda-resume");
  Config c;
  c.data = test::write_synthetic_idx(dir.path(), 640, 160, 41);
  c.model = cuda_test::small_cnn();
  c.train.epochs = 2;
  c.train.batch_size = 32;  // 576 training images: 18 steps an epoch
  c.train.lr = 3e-3;
  c.train.log_every = 5;
  c.train.device = DeviceChoice::cuda;
  c.train.deterministic = true;
  const auto config = dir / "run.toml";
  test::write_file(config, to_toml(c));
  const std::string args = "train -c '" + config.string() + "' --out ";

  const auto ref = cli(args + "'" + (dir / "ref").string() + "'", nullptr);
  INFO(ref.output);
  REQUIRE(ref.exit_code == 0);
  const auto run = dir / "run";
  const auto stopped = cli(args + "'" + run.string() + "'", "sigint@step=25");
  INFO(stopped.output);
  REQUIRE(stopped.exit_code == 130);
  REQUIRE(read_checkpoint(run).step == 7);
  const auto resumed = cli("train --resume '" + run.string() + "'", nullptr);
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(test::read_text(run / "model.safetensors") ==
        test::read_text(dir / "ref" / "model.safetensors"));
}
