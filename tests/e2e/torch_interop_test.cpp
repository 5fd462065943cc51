// The weights file is PyTorch's: a model trained here, loaded into the same model built with
// PyTorch (tools/torch_check_model.py), predicts the same top-3 classes with the same
// probabilities.
#include <catch2/catch.hpp>

#include "support/support.hpp"

using Catch::Matchers::Contains;
namespace t = emnist::test;

namespace {

void require_torch() {
  const auto probe = t::run_command("/usr/bin/python3 -c 'import torch, numpy'");
  if (probe.exit_code == 0) return;
  if (t::in_ci())
    FAIL("CI=true but /usr/bin/python3 cannot import torch (apt-get install python3-torch)");
  t::skip("/usr/bin/python3 has no torch (apt-get install python3-torch)");
}

void train_and_check(const std::string& model_args) {
  require_torch();
  t::TempDir dir;
  const auto run = t::train_smoke_run(dir / "run", model_args);
  // fp32 on both sides, differing only in summation order: probabilities agree to ~1e-6.
  const auto check = t::run_command(
      "/usr/bin/python3 '" EMNIST_SOURCE_DIR "/tools/torch_check_model.py' '" + run.string() + "'");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.output, Contains("agree: 6 images, top-3 classes equal"));
}

}  // namespace

TEST_CASE("torch interop: an MLP's safetensors loads into PyTorch and predicts the same",
          "[e2e][torch]") {
  train_and_check("");
}

TEST_CASE("torch interop: a CNN's safetensors loads into PyTorch and predicts the same",
          "[e2e][torch]") {
  train_and_check(t::kTinyCnnSets);
}

TEST_CASE(
    "torch interop: a ResNet's safetensors (blocks, projections) loads into PyTorch and "
    "predicts the same",
    "[e2e][torch]") {
  train_and_check(std::string(t::kTinyResnetSets) + " --set model.activation=leaky_relu");
}

TEST_CASE(
    "torch interop: a ResNet without pooling (its last map flattened) loads into PyTorch and "
    "predicts the same",
    "[e2e][torch]") {
  train_and_check(std::string(t::kTinyResnetSets) + " --set model.pooling=none");
}

TEST_CASE("torch interop: an MLP with ELU, without batch norm or dropout, predicts the same",
          "[e2e][torch]") {
  train_and_check(
      "--set model.activation=elu --set model.elu_alpha=0.5 --set model.batch_norm=false "
      "--set model.dropout=0");
}
