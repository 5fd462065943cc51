// `emnist export` checked by an independent runtime: models of every kind and every activation,
// trained here, exported, and run by ONNX Runtime (PyPI, in .venv: tools/setup.sh) on 200 real
// test images; its probabilities match emnist's within 1e-5 and its top class everywhere. And the
// export's bad inputs: one line each, exit 2.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "support/support.hpp"

using Catch::Matchers::Contains;
namespace t = emnist::test;

namespace {

const std::string kVenvPython = EMNIST_SOURCE_DIR "/.venv/bin/python";

void require_onnxruntime() {
  const auto probe = t::run_command("'" + kVenvPython + "' -c 'import onnxruntime'");
  if (probe.exit_code == 0) return;
  if (t::in_ci())
    FAIL("CI=true but .venv has no onnxruntime (tools/setup.sh installs it): " + probe.output);
  t::skip(".venv has no onnxruntime (tools/setup.sh installs it from PyPI)");
}

// The ByMerge file's first 200 images, as stored (transposed), gunzipped: an IDX file.
std::filesystem::path first_images(const std::filesystem::path& dir,
                                   const std::filesystem::path& shared) {
  const auto path = dir / "first200-idx3-ubyte";
  const auto r = t::run_command(
      "gzip -dc '" +
      (shared / "data" / "emnist" / "emnist-bymerge-test-images-idx3-ubyte.gz").string() +
      "' | head -c " + std::to_string(16 + 200 * 784) + " > '" + path.string() + "'");
  REQUIRE(r.exit_code == 0);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(4);
  const char count[4] = {0, 0, 0, static_cast<char>(200)};
  f.write(count, 4);
  return path;
}

void export_and_check(const std::string& model_sets) {
  const auto shared = t::require_shared();
  require_onnxruntime();
  setenv("OMP_WAIT_POLICY", "passive", 0);
  t::TempDir dir;
  const auto run = t::train_smoke_run(dir / "run", model_sets);
  const auto exported = t::run_cli("--quiet export --run '" + run.string() + "' --out '" +
                                   (dir / "m.onnx").string() + "'");
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  const auto images = first_images(dir.path(), shared);
  const auto predicted = t::run_command(
      "'" + std::string(EMNIST_CLI) + "' predict --run '" + run.string() + "' '" + images.string() +
      "' --device cpu --format json --top 47 > '" + (dir / "p.json").string() + "'");
  REQUIRE(predicted.exit_code == 0);
  // fp32 on both sides, differing in summation order only: probabilities agree to ~1e-6.
  const auto check =
      t::run_command("'" + kVenvPython + "' '" EMNIST_SOURCE_DIR "/tools/onnx_check.py' '" +
                     (dir / "m.onnx").string() + "' '" + images.string() + "' '" +
                     (dir / "p.json").string() + "' --transposed");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.output, Contains("200 images agree with emnist"));
}

}  // namespace

TEST_CASE("onnx export: an MLP (ReLU, batch norm, dropout) runs alike in ONNX Runtime",
          "[e2e][onnx]") {
  export_and_check("");
}

TEST_CASE("onnx export: a CNN runs alike in ONNX Runtime", "[e2e][onnx]") {
  export_and_check(t::kTinyCnnSets);
}

TEST_CASE("onnx export: Leaky ReLU and ELU models, one without batch norm, run alike",
          "[e2e][onnx]") {
  export_and_check("--set model.activation=leaky_relu --set model.leaky_slope=0.1");
  export_and_check(
      "--set model.kind=cnn --set 'model.conv=[8, \"pool\", 16, \"pool\"]' --set "
      "'model.hidden=[32]' --set model.activation=elu --set model.elu_alpha=0.7 --set "
      "model.batch_norm=false");
}

TEST_CASE("onnx export: a ResNet (blocks, projections, global pooling) runs alike", "[e2e][onnx]") {
  export_and_check(t::kTinyResnetSets);
}

TEST_CASE("onnx export: a ResNet without pooling (its last map flattened) runs alike",
          "[e2e][onnx]") {
  export_and_check(std::string(t::kTinyResnetSets) + " --set model.pooling=none");
}

TEST_CASE(
    "onnx export: a bad run directory, an unknown opset, a bad batch and an unwritable "
    "output are one line, exit 2",
    "[e2e][onnx]") {
  t::TempDir dir;
  std::filesystem::create_directories(dir / "empty");
  const auto empty = t::run_cli("export --run '" + (dir / "empty").string() + "'");
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.output, Contains("config.toml: not found; is " + (dir / "empty").string() +
                                    " a run directory?"));
  CHECK(std::count(empty.output.begin(), empty.output.end(), '\n') == 1);

  const auto run = t::train_smoke_run(dir / "run", "", 600);
  const auto opset = t::run_cli("export --run '" + run.string() + "' --opset 12");
  CHECK(opset.exit_code == 2);
  CHECK_THAT(opset.output, Contains("--opset 12: allowed 13 to 17"));
  const auto batch = t::run_cli("export --run '" + run.string() + "' --batch many");
  CHECK(batch.exit_code == 2);
  CHECK_THAT(batch.output, Contains("--batch many: give dynamic or a batch size of at least 1"));
  const auto out = dir / "no" / "such" / "folder" / "m.onnx";
  const auto unwritable =
      t::run_cli("export --run '" + run.string() + "' --out '" + out.string() + "'");
  CHECK(unwritable.exit_code == 2);
  CHECK_THAT(unwritable.output, Contains(out.parent_path().string()));
  CHECK(std::count(unwritable.output.begin(), unwritable.output.end(), '\n') == 1);
  // The default place, and a fixed batch.
  const auto fixed = t::run_cli("--quiet export --run '" + run.string() + "' --batch 8");
  CHECK(fixed.exit_code == 0);
  CHECK(std::filesystem::is_regular_file(run / "model.onnx"));
}
