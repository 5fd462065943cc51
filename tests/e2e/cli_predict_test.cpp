// `emnist predict` end to end: a CNN trained here on real ByMerge images classifies 200 of them
// drawn again as 128x128 dark-on-white PNGs (what a user's scan looks like) as it classifies the
// 28x28 originals; bad files are named and the rest still answered. Run once, not under the
// sanitizers (a training run of about 20 s here).
#include <stb_image_resize.h>

#include <png.h>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "emnist/predict.hpp"
#include "experiments/csv_read.hpp"
#include "images/image_writers.hpp"
#include "support/support.hpp"

using namespace emnist;
using Catch::Matchers::Contains;

namespace {

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  test::write_file(path, std::string(bytes.begin(), bytes.end()));
}

// The first column after the image's name of predict's CSV, by image.
std::vector<std::string> top1(const std::string& csv) {
  const auto rows = sweep::parse_csv(csv);
  std::vector<std::string> out;
  for (size_t i = 1; i < rows.size(); ++i) out.push_back(rows[i].at(1));
  return out;
}

}  // namespace

TEST_CASE("e2e: predict: 200 real images drawn at 128 pixels are classified as their originals",
          "[e2e][predict]") {
  if (test::under_sanitizer()) test::skip("run once, in the plain build (a training run)");
  const auto shared = test::require_shared();
  setenv("OMP_WAIT_POLICY", "passive", 0);
  test::TempDir dir;
  const auto run = dir / "run";
  const auto trained = test::run_cli(
      "--quiet train --device cpu --out '" + run.string() + "' --data '" +
      (shared / "data" / "emnist").string() +
      "' --set data.dataset=emnist-bymerge --set data.split=holdout --set data.limit=20000 "
      "--set train.epochs=2");
  INFO(trained.output);
  REQUIRE(trained.exit_code == 0);
  const auto summary = nlohmann::json::parse(test::read_text(run / "summary.json"));
  const double accuracy = summary["metrics"]["test"]["accuracy"];
  INFO("test accuracy " << accuracy);
  REQUIRE(accuracy >= 0.75);

  // The file's first 200 images: as stored (transposed, an IDX file predict reads as the run's
  // dataset stores them), and upright, scaled to 128x128 bicubically, dark ink on white, as PNG.
  DataConfig dc;
  dc.dataset = "emnist-bymerge";
  dc.dir = (shared / "data" / "emnist").string();
  const Dataset data = load_dataset(dc);
  const ImageSet& set = data.has_train ? data.train : data.test;
  const int count = 200;
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 28, 0, 0, 0, 28};
  const auto pngs = dir / "pngs";
  std::filesystem::create_directories(pngs);
  for (int i = 0; i < count; ++i) {
    const uint8_t* upright = set.image(i);
    for (int x = 0; x < 28; ++x)
      for (int y = 0; y < 28; ++y) idx.push_back(upright[y * 28 + x]);  // transposed back
    std::vector<float> ink(784), drawn(128 * 128);
    for (size_t p = 0; p < 784; ++p) ink[p] = 1.0f - upright[p] / 255.0f;
    REQUIRE(stbir_resize_float_generic(
                ink.data(), 28, 28, 0, drawn.data(), 128, 128, 0, 1, STBIR_ALPHA_CHANNEL_NONE, 0,
                STBIR_EDGE_CLAMP, STBIR_FILTER_CATMULLROM, STBIR_COLORSPACE_LINEAR, nullptr) == 1);
    std::vector<uint8_t> grey(drawn.size());
    for (size_t p = 0; p < drawn.size(); ++p)
      grey[p] = static_cast<uint8_t>(std::lround(std::clamp(drawn[p], 0.0f, 1.0f) * 255.0f));
    char name[32];
    std::snprintf(name, sizeof name, "%03d.png", i);
    write_bytes(pngs / name, test::png_bytes(128, 128, PNG_FORMAT_GRAY, grey));
  }
  write_bytes(dir / "originals-idx3-ubyte", idx);

  const auto originals = test::run_command(
      "'" + std::string(EMNIST_CLI) + "' predict --run '" + run.string() + "' '" +
      (dir / "originals-idx3-ubyte").string() + "' --device cpu --format csv --top 1 2>/dev/null");
  const auto drawings =
      test::run_command("'" + std::string(EMNIST_CLI) + "' predict --run '" + run.string() + "' '" +
                        pngs.string() + "' --device cpu --format csv --top 1 2>/dev/null");
  REQUIRE(originals.exit_code == 0);
  REQUIRE(drawings.exit_code == 0);
  const auto a = top1(originals.output), b = top1(drawings.output);
  REQUIRE(a.size() == static_cast<size_t>(count));
  REQUIRE(b.size() == static_cast<size_t>(count));
  int agree = 0;
  for (int i = 0; i < count; ++i) agree += a[static_cast<size_t>(i)] == b[static_cast<size_t>(i)];
  INFO(agree << " of " << count << " agree");
  CHECK(agree >= count * 95 / 100);

  // A bad file among good ones: named, one line, the others answered, exit 2.
  const auto mixed = dir / "mixed";
  std::filesystem::create_directories(mixed);
  std::filesystem::copy_file(pngs / "000.png", mixed / "good.png");
  const std::string png = test::read_text(pngs / "001.png");
  test::write_file(mixed / "truncated.png", png.substr(0, png.size() / 2));
  test::write_file(mixed / "notes.png", "this is text");
  const auto r =
      test::run_cli("predict --run '" + run.string() + "' '" + mixed.string() + "' '" +
                    (dir / "missing.jpg").string() + "' --device cpu --format json --top 3");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("emnist predict: " + (mixed / "truncated.png").string() +
                                ": a corrupt or truncated PNG image"));
  CHECK_THAT(r.output, Contains("emnist predict: " + (mixed / "notes.png").string() +
                                ": not a PNG, JPEG or PGM image"));
  CHECK_THAT(r.output,
             Contains("emnist predict: " + (dir / "missing.jpg").string() + ": no such file"));
  const auto json = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  REQUIRE(json["predictions"].size() == 1);
  CHECK(json["predictions"][0]["image"] == (mixed / "good.png").string());
  const auto& top = json["predictions"][0]["top"];
  REQUIRE(top.size() == 3);
  CHECK(top[0]["class"] == b[0]);
  CHECK(top[0]["probability"].get<double>() >= top[1]["probability"].get<double>());
  CHECK(top[1]["probability"].get<double>() >= top[2]["probability"].get<double>());
  CHECK(json["model"]["kind"] == "cnn");
  CHECK(json["model"]["classes"] == 47);
}

TEST_CASE("predict: a run's class names come from summary.json, else its confusion matrix",
          "[predict]") {
  test::TempDir dir;
  test::write_file(dir / "summary.json", R"({"classes": 3, "class_names": ["a", "b,c", "d"]})");
  CHECK(run_class_names(dir.path()) == std::vector<std::string>{"a", "b,c", "d"});
  // Runs written before summary.json had them: the confusion matrix's header (quoted as CSV).
  test::write_file(dir / "summary.json", R"({"classes": 3})");
  test::write_file(dir / "confusion_test.csv", ",x,\"y,z\",w\nx,1,0,0\n");
  CHECK(run_class_names(dir.path()) == std::vector<std::string>{"x", "y,z", "w"});
  std::filesystem::remove(dir / "confusion_test.csv");
  REQUIRE_THROWS_AS(run_class_names(dir.path()), UserError);
}

TEST_CASE("predict: top classes, most probable first, ties by index", "[predict]") {
  const std::vector<float> p{0.1f, 0.4f, 0.1f, 0.4f};
  const auto top = top_classes(p, 3);
  REQUIRE(top.size() == 3);
  CHECK(top[0].index == 1);
  CHECK(top[1].index == 3);
  CHECK(top[2].index == 0);
  CHECK(top_classes(p, 10).size() == 4);
}
