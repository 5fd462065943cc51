// NIST stored EMNIST images column-major (each image is the transpose of the upright character),
// and the Kaggle CSVs kept that order; turning them upright once at load time means nothing
// downstream (models, plots, predictions) has to know.
#include <algorithm>
#include <utility>

#include "emnist/data.hpp"

namespace emnist {

void transpose_images(RawImages& images) {
  const int rows = images.rows, cols = images.cols;
  const int64_t size = int64_t{rows} * cols;
  std::vector<uint8_t> scratch(static_cast<size_t>(size));
#pragma omp parallel for schedule(static) firstprivate(scratch) if (images.count > 4096)
  for (int64_t i = 0; i < images.count; ++i) {
    uint8_t* image = images.pixels.data() + i * size;
    // Stored [rows][cols] is the upright image's [c][r]; upright is [cols][rows].
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) scratch[size_t(c) * rows + r] = image[size_t(r) * cols + c];
    std::copy(scratch.begin(), scratch.end(), image);
  }
  std::swap(images.rows, images.cols);
}

}  // namespace emnist
