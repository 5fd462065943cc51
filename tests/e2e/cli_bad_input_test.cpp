// Bad configuration through the command line: exit code 2, one line naming the key and what is
// allowed, and no run directory made (nothing that looks like a run).
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>

#include <unistd.h>

#include "e2e/run_cli.hpp"
#include "support/support.hpp"

using namespace emnist;
using Catch::Matchers::Contains;
using emnist::e2e::check_refused;

TEST_CASE(
    "e2e: bad configuration values are one-line errors, exit 2, before a run directory "
    "exists",
    "[e2e][bad_input]") {
  test::TempDir dir("emnist-bad-config");
  const auto out = dir / "run";
  const auto file = dir / "bad.toml";
  struct Case {
    std::string toml, message;
  };
  const std::vector<Case> cases = {
      {"[train]\nlearning_rate = 0.1\n", "unknown key 'train.learning_rate'"},
      {"[train]\nepochs = \"ten\"\n", "train.epochs: expected an integer, got \"ten\""},
      {"[train]\nlr = 0\n", "train.lr: 0 is out of range: allowed (0, 10]"},
      {"[train]\nlr = -0.1\n", "train.lr: -0.1 is out of range"},
      {"[train]\nbatch_size = 0\n", "train.batch_size: 0 is out of range: allowed 1 to 65536"},
      {"[model]\ndropout = 1.0\n", "model.dropout: 1 is out of range: allowed [0, 1)"},
      {"[model]\nkind = \"mlp\"\nhidden = []\n",
       "model.hidden: an MLP needs at least 3 hidden layers, got 0"},
      {"[model]\nkind = \"resnet\"\nstages = [16, 32]\n",
       "model.stages, model.blocks, model.strides: one entry a stage in each, got 2, 3 and 3"},
      {"[model]\nkind = \"resnet\"\nstages = [8, 8, 8, 8, 8, 8]\nblocks = [1, 1, 1, 1, 1, 1]\n"
       "strides = [2, 2, 2, 2, 2, 2]\n",
       "model.strides: stage 6 halves a 1x1 map"},
      {"[model]\nkind = \"resnet\"\nbatch_norm = false\n",
       "a ResNet's blocks always use batch norm"},
      {"[model]\nkind = \"mlp\"\nhidden = [64, 32]\n",
       "model.hidden: an MLP needs at least 3 hidden layers, got 2"},
      {"[model]\nkernel = 5\nconv = [8, \"pool\", \"pool\", \"pool\", 8]\n",
       "model.kernel: 5 is larger than the 3x3 input of convolution 2"},
  };
  for (const Case& c : cases) {
    test::write_file(file, c.toml);
    const auto r = test::run_cli("train -c '" + file.string() + "' --out '" + out.string() + "'");
    INFO(c.toml << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Contains("config " + file.string() + ": ") ||
                             Contains(c.message.substr(0, c.message.find(':'))));
    CHECK_THAT(r.output, Contains(c.message));
    // One line.
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(out));
  }
  const auto set = test::run_cli("train --set train.batch_size=0 --out '" + out.string() + "'");
  CHECK(set.exit_code == 2);
  CHECK_THAT(set.output, Contains("--set train.batch_size=0: train.batch_size: 0 is out of range"));
  const auto flag = test::run_cli("train --epochs 3");
  CHECK(flag.exit_code == 2);
  CHECK_THAT(flag.output, Contains("--epochs"));
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("e2e: a mistyped command and misplaced global flags say what was meant",
          "[e2e][bad_input]") {
  const auto fit = test::run_cli("fit");
  check_refused(fit, "'fit' is not a command; the commands are info, train");
  const auto quiet = test::run_cli("train --quiet");
  check_refused(quiet,
                "--quiet and --verbose go before the command, e.g. emnist "
                "--quiet train");
}

TEST_CASE(
    "e2e: a data file that is a folder, a link to nothing, a link loop or a device is named, "
    "exit 2",
    "[e2e][bad_input]") {
  test::TempDir dir("emnist-bad-files");
  // The train images of emnist-digits, in a folder of their own, replaced case by case.
  const auto images = dir / "data" / "emnist-digits-train-images-idx3-ubyte";
  std::filesystem::create_directories(images.parent_path());
  const auto train = [&] {
    return test::run_cli("train --set data.dataset=emnist-digits --data '" +
                         images.parent_path().string() + "' --out '" + (dir / "run").string() +
                         "'");
  };
  struct Case {
    std::function<void()> make;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[&] { std::filesystem::create_directory(images); }, "is a folder, not a data file"},
      {[&] { std::filesystem::create_symlink(dir / "gone", images); }, "is a link to nothing"},
      {[&] { std::filesystem::create_symlink(images, images); }, "is a link loop"},
  };
  for (const Case& c : cases) {
    std::filesystem::remove_all(images);
    c.make();
    const auto r = train();
    check_refused(r, images.string() + ": " + c.message);
    CHECK_FALSE(std::filesystem::exists(dir / "run"));
  }

  // A device as the images of dataset "idx": refused before reading, not read for ever.
  const auto r = test::run_cli(
      "train --set data.dataset=idx --set data.train_images=/dev/zero --set "
      "data.train_labels=/dev/zero --out '" +
      (dir / "run").string() + "'");
  check_refused(r, "/dev/zero: is not a regular file");
}

// DESIGN's bound for a rejected data file: the process's peak memory stays under twice what the
// header promises plus 64 MiB, above what the binary takes to start at all (CUDA's libraries).
TEST_CASE("e2e: a rejected data file costs no more memory than its header promises",
          "[e2e][bad_input][memory]") {
  if (test::under_sanitizer()) test::skip("the sanitizers' allocators distort peak memory");
  const char* env = std::getenv("EMNIST_CLI");
  const std::string cli =
      "'" + std::string(env != nullptr && *env != '\0' ? env : EMNIST_CLI) + "'";
  const int64_t baseline = test::measure_peak_memory(cli + " --version").peak_kib;
  test::TempDir dir("emnist-bomb");
  // Two images of 2x2 and their labels, as the headers promise them.
  const std::string header = std::string("\0\0\x08\x03\0\0\0\x02\0\0\0\x02\0\0\0\x02", 16);
  const std::string images = header + std::string(8, '\1');
  test::write_file(dir / "labels", std::string("\0\0\x08\x01\0\0\0\x02\0\x01", 10));
  // The same images followed by 512 MiB of zeros: gzip (512 KiB on disk), and raw (a sparse file).
  test::write_file(dir / "bomb.gz", test::gzip(images + std::string(size_t{512} << 20, '\0')));
  test::write_file(dir / "bomb", images);
  std::filesystem::resize_file(dir / "bomb", images.size() + (size_t{512} << 20));
  for (const char* file : {"bomb.gz", "bomb"}) {
    CAPTURE(file);
    const auto r = test::measure_peak_memory(
        cli + " train --device cpu --set data.dataset=idx --set data.train_images='" +
        (dir / file).string() + "' --set data.train_labels='" + (dir / "labels").string() +
        "' --out '" + (dir / "run").string() + "'");
    CHECK(r.exit_code == 2);
    // 24 bytes promised: the bound is 64 MiB over the start-up.
    CHECK(r.peak_kib - baseline < 2 * 24 / 1024 + 64 * 1024);
  }
  // The real ByMerge test images with 4 bytes of junk after the gzip stream: their trailer, read
  // as the uncompressed size, once asked for 4.3 GB.
  if (const auto shared = test::shared_dir()) {
    const auto real = *shared / "data" / "emnist" / "emnist-bymerge-test-images-idx3-ubyte.gz";
    test::write_file(dir / "junk.gz", test::read_text(real) + "junk");
    const auto r = test::measure_peak_memory(
        cli + " train --device cpu --set data.dataset=idx --set data.train_images='" +
        (dir / "junk.gz").string() + "' --set data.train_labels='" + (dir / "labels").string() +
        "' --out '" + (dir / "run").string() + "'");
    CHECK(r.exit_code == 2);
    const int64_t promised_kib = (16 + int64_t{116323} * 28 * 28) / 1024;
    CHECK(r.peak_kib - baseline < 2 * promised_kib + 64 * 1024);
  }
}

// As root (CI's user) permissions do not stop a read, so the run is made as nobody (setpriv).
TEST_CASE("e2e: an unreadable data folder says so instead of 'no images'", "[e2e][bad_input]") {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv"))
    test::skip("needs root and setpriv to run the command as another user");
  test::TempDir dir("emnist-unreadable");
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_exec);
  const auto data = dir / "data";
  std::filesystem::create_directory(data);
  std::filesystem::permissions(data, std::filesystem::perms::owner_all);
  const char* env = std::getenv("EMNIST_CLI");
  const std::string cli = env != nullptr && *env != '\0' ? env : EMNIST_CLI;
  const std::string as_nobody =
      "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups '" + cli + "' ";
  if (test::run_command(as_nobody + "--version").exit_code != 0)
    test::skip("the binary cannot be run as nobody here (its folder is not open to others)");
  const auto r = test::run_command(as_nobody + "train --set data.dataset=emnist-digits --data '" +
                                   data.string() + "'");
  check_refused(r, data.string() + ": cannot read the folder: Permission denied");
}
