// The images the run directory keeps for its plots read back, through the dataset reader, as the
// images training saw, in the order the plots pair them with their labels and predictions.
#include <catch2/catch.hpp>

#include "emnist/data.hpp"
#include "emnist/run_images.hpp"
#include "support/support.hpp"

using namespace emnist;

namespace {

// Image i is filled with i + 1 and its first pixel is 200 + i, so both identity and orientation
// show.
ImageSet numbered_images(int count, int rows, int cols) {
  ImageSet set;
  set.count = count;
  set.rows = rows;
  set.cols = cols;
  set.pixels.resize(static_cast<size_t>(count * rows * cols));
  for (int i = 0; i < count; ++i) {
    for (int p = 0; p < rows * cols; ++p)
      set.pixels[static_cast<size_t>(i * rows * cols + p)] = static_cast<uint8_t>(i + 1);
    set.pixels[static_cast<size_t>(i * rows * cols)] = static_cast<uint8_t>(200 + i);
    set.labels.push_back(i % 3);
  }
  return set;
}

Subset subset_of(const ImageSet& set, std::vector<int64_t> indices) {
  Subset s;
  s.source = &set;
  s.indices = std::move(indices);
  return s;
}

}  // namespace

TEST_CASE("run images: IDX3 bytes read back through the dataset reader", "[report]") {
  const ImageSet set = numbered_images(5, 3, 4);
  test::TempDir dir;
  test::write_file(dir / "x.idx", idx3_bytes(set, {4, 0, 2}));
  const RawImages back = read_idx_images(dir / "x.idx");
  REQUIRE(back.count == 3);
  CHECK(back.rows == 3);
  CHECK(back.cols == 4);
  CHECK(back.pixels[0] == 204);
  CHECK(back.pixels[1] == 5);
  CHECK(back.pixels[12] == 200);
  CHECK(back.pixels[24 + 11] == 3);
  CHECK_THROWS_AS(idx3_bytes(set, {5}), std::out_of_range);
}

TEST_CASE("run images: samples with labels, and the first images of each evaluated split",
          "[report]") {
  const ImageSet train_set = numbered_images(40, 2, 2);
  const ImageSet test_set = numbered_images(9, 2, 2);
  std::vector<int64_t> train_indices;
  for (int64_t i = 1; i < 40; ++i) train_indices.push_back(i);
  Splits splits;
  splits.train = subset_of(train_set, train_indices);
  splits.test = subset_of(test_set, {2, 3, 5, 6, 7, 8, 0});
  // An empty validation split leaves no file behind.
  test::TempDir dir;
  write_run_images(dir.path(), splits, {"zero", "o,ne", "two"});

  const RawImages samples = read_idx_images(dir / "samples_train.idx");
  REQUIRE(samples.count == kSampleImages);
  CHECK(samples.pixels[0] == 201);  // the training split's first image is image 1
  const std::string labels = test::read_text(dir / "samples_train.csv");
  CHECK(labels.rfind("index,label\n1,\"o,ne\"\n2,two\n3,zero\n", 0) == 0);

  const RawImages predicted = read_idx_images(dir / "predictions_test.idx");
  REQUIRE(predicted.count == kPredictionImages);
  CHECK(predicted.pixels[0] == 202);
  CHECK(predicted.pixels[4 * 5] == 208);
  CHECK_FALSE(std::filesystem::exists(dir / "predictions_val.idx"));

  // eval's split alone; fewer images than six gives what there is.
  write_prediction_images(dir.path(), "val", subset_of(test_set, {8, 1}));
  const RawImages val = read_idx_images(dir / "predictions_val.idx");
  CHECK(val.count == 2);
  CHECK(val.pixels[0] == 208);
}
