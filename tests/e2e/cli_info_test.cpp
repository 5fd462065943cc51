// The command line as a user meets it: `info`, and the errors a first run commonly hits.
#include <catch2/catch.hpp>

#include <string>

#include "emnist/backend.hpp"
#include "emnist/cuda_info.hpp"
#include "support/support.hpp"

using Catch::Matchers::Contains;
namespace t = emnist::test;

TEST_CASE("info reports the build and, here, no GPU without failing", "[cli][smoke]") {
  const auto r = t::run_cli("info");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("emnist 0."));
  const auto cuda = emnist::query_cuda();
  if (cuda.compiled) {
    CHECK_THAT(r.output,
               Contains("CUDA backend compiled") && Contains("cuDNN 9.") && Contains("cuBLAS "));
  } else {
    CHECK_THAT(r.output, Contains("CPU only"));
  }
  if (cuda.gpus.empty()) CHECK_THAT(r.output, Contains("GPUs: none"));
  // A CUDA build on a machine without a driver (this one, and CI) says that, not CUDA's own
  // "driver version is insufficient", which would send a user to update a driver they lack.
  if (cuda.compiled && cuda.driver_version == 0)
    CHECK_THAT(r.output, Contains("GPUs: none (no NVIDIA driver found)"));
  // What the CPU modes get here, as the backend itself decides it.
  const emnist::CpuInfo cpu = emnist::cpu_info();
  CHECK_THAT(r.output, Contains("CPU: oneDNN ") &&
                           Contains(std::to_string(cpu.threads) + " OpenMP threads") &&
                           Contains(", batch norm and elementwise loops " + cpu.loops + ";") &&
                           Contains(cpu.bf16_amx ? "bfloat16 convolutions on AMX"
                                                 : "bfloat16 convolutions no (no AMX: fp32)"));
}

TEST_CASE("info lists every real dataset in the shared folder with its counts", "[cli][shared]") {
  const auto shared = t::require_shared();
  const auto r = t::run_cli("info --data '" + (shared / "data" / "emnist").string() + "'");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("emnist-bymerge") &&
                           Contains("test: 116,323 images in 47 classes, 415 to 6,400 per class"));
  CHECK_THAT(r.output, Contains("emnist-mnist") && Contains("test: 10,000 images in 10 classes"));
  CHECK_THAT(r.output, Contains("emnist-letters") && Contains("test: 14,800 images"));
  CHECK_THAT(r.output,
             Contains("train: 112,800 labels (no images) in 47 classes, 2,400 to 2,400 per class"));
  CHECK_THAT(r.output,
             Contains("test: 18,800 labels (no images) in 47 classes, 400 to 400 per class"));
}

TEST_CASE("info on a truncated file names the file", "[cli][smoke]") {
  t::TempDir dir;
  // A valid IDX3 header promising 10 images of 28x28, then only 100 pixel bytes.
  std::string bytes = {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28};
  bytes += std::string(100, '\x7f');
  t::write_file(dir / "emnist-mnist-test-images-idx3-ubyte.gz", t::gzip(bytes));
  t::write_file(dir / "emnist-mnist-test-labels-idx1-ubyte.gz",
                t::gzip(std::string{0, 0, 8, 1, 0, 0, 0, 10} + std::string(10, '\x01')));
  const auto r = t::run_cli("info --data '" + dir.path().string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("emnist-mnist-test-images-idx3-ubyte.gz") && Contains("truncated"));
}

TEST_CASE("train without data says which files to put where", "[cli][smoke]") {
  t::TempDir dir;
  const auto r = t::run_cli("train --data '" + dir.path().string() + "' --out '" +
                            (dir / "run").string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output,
             Contains("no EMNIST Balanced images in") &&
                 Contains("emnist-balanced-{train,test}-{images-idx3,labels-idx1}-ubyte.gz") &&
                 Contains("--data"));
  CHECK_FALSE(std::filesystem::exists(dir / "run"));  // nothing created before the data is found
}

TEST_CASE("command-line mistakes are exit code 2 with one clear line", "[cli][smoke]") {
  t::TempDir dir;
  auto r = t::run_cli("train --no-such-flag");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("--no-such-flag"));

  r = t::run_cli("frobnicate");
  CHECK(r.exit_code == 2);

  r = t::run_cli("train --set train.lr=-3 --out '" + (dir / "run").string() + "'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("train.lr: -3 is out of range: allowed (0, 10]"));

  t::write_file(dir / "bad.toml", "[train]\nepochz = 3\n");
  r = t::run_cli("train --config '" + (dir / "bad.toml").string() + "'");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("bad.toml: unknown key 'train.epochz'"));
}

TEST_CASE("training on cuda without a usable GPU fails in one line", "[cli][smoke]") {
  if (!emnist::query_cuda().gpus.empty()) t::skip("a GPU is visible here");
  const auto shared = t::shared_dir();
  if (!shared) t::skip("needs the shared data folder");
  t::TempDir dir;
  const auto r = t::run_cli("train --config '" EMNIST_SOURCE_DIR "/configs/smoke.toml' --data '" +
                            (*shared / "data" / "emnist").string() + "' --device cuda --out '" +
                            (dir / "run").string() + "'");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("--device cuda:") && Contains("--device cpu"));
}

TEST_CASE("bench on the CPU says once what a tf32 precision means there", "[cli]") {
  const auto r = t::run_cli("bench --device cpu --model cnn --batch 8 --steps 2 --precision tf32");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const std::string said =
      "train.precision = \"tf32\" on the CPU: 3x3 convolutions may use Winograd";
  const size_t first = r.output.find(said);
  CHECK(first != std::string::npos);
  CHECK(r.output.find(said, first + 1) == std::string::npos);
  const auto plain = t::run_cli("bench --device cpu --model cnn --batch 8 --steps 2");
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.output, !Contains("Winograd"));
  // The report's first line names the level of the engine's own loops.
  CHECK_THAT(plain.output, Contains(", loops " + emnist::cpu_info().loops + ", feeder "));
}

TEST_CASE("bench on the CPU says once what a bf16 precision means there", "[cli]") {
  const auto r = t::run_cli("bench --device cpu --model cnn --batch 8 --steps 2 --precision bf16");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const std::string said =
      "train.precision = \"bf16\" on the CPU: convolutions multiply in bfloat16 and sum in fp32 "
      "where this CPU has AMX";
  const size_t first = r.output.find(said);
  CHECK(first != std::string::npos);
  CHECK(r.output.find(said, first + 1) == std::string::npos);
  CHECK_THAT(r.output, !Contains("Winograd"));
}
