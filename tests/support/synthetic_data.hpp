#pragma once
// Synthetic image sets for the training tests of both test programs (CPU and CUDA), and writing
// them as the IDX files the `idx` dataset reads.
#include <cstdint>
#include <filesystem>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/element_math.hpp"

namespace emnist::test {

// `count` 28x28 images, label i % classes (classes <= 16). When `learnable`, a bright 7x7 block
// whose place on a 4x4 grid is the class, over noise: a pattern that generalises to unseen
// samples; otherwise noise only (learnable by memorising).
// An augmentation with every part on (rotation, zoom, shear, shift, elastic), moderate.
math::AugmentSpec every_augmentation(uint64_t seed);

ImageSet synthetic_images(int64_t count, int classes, uint64_t seed, bool learnable = true);

// IDX3 images and IDX1 labels (raw, uncompressed) as the official files store them.
void write_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
               const ImageSet& set);

// `train` and `test` learnable 16-class images (seeds `seed` and seed + 1) written into `dir` as
// train-images, train-labels, test-images, test-labels; the data section that reads them
// (dataset "idx", validation fraction 0.1).
DataConfig write_synthetic_idx(const std::filesystem::path& dir, int64_t train, int64_t test,
                               uint64_t seed);

}  // namespace emnist::test
