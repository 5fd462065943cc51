// The CUDA backend's cut of per-channel work among blocks (cuda/kernels/channel_chunks.hpp), walked
// on the host block by block as the kernels walk it, so that it is checked without a GPU: every
// element of every channel lies in exactly one block's chunk, each channel has one first block
// (the one that writes its statistics), and channel_split's chunk counts fill a GPU's
// multiprocessors without chunks too small to pay for the second kernel.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/channel_chunks.hpp"

namespace emnist::cuda::kernels {
namespace {

struct Shape {
  int64_t n, c, s;
};

// Batches 1 to 128, channels 1 to 1000, planes of 1 (linear layers) to 28x28, and counts just
// over one and two least chunks (2,049 and 4,097 elements).
const Shape kShapes[] = {{1, 1, 1},      {3, 5, 1},      {128, 256, 1},  {128, 1000, 1},
                         {3, 5, 49},     {37, 1, 784},   {16, 32, 784},  {128, 32, 784},
                         {128, 64, 196}, {128, 128, 49}, {100003, 1, 1}, {2049, 1, 1},
                         {4097, 3, 1}};
const int kMultiprocessors[] = {1, 2, 80, 132};

// The walk of every block of split over a [n, c, s] tensor: each element in exactly one chunk of
// its own channel, no index outside the tensor, one first block a channel.
void check_cover(const Shape& shape, const ChannelSplit& split) {
  const ChannelChunks k = chunks_of(split);
  std::vector<int> hits(static_cast<size_t>(shape.n * shape.c * shape.s), 0);
  std::vector<int> firsts(static_cast<size_t>(shape.c), 0);
  int64_t outside = 0, misplaced = 0;
  for (uint32_t block = 0; block < blocks_of(split); ++block) {
    const uint32_t channel = k.channel(block);
    REQUIRE(channel < shape.c);
    firsts[channel] += k.first(block) ? 1 : 0;
    for (uint32_t i = k.begin(block); i < k.end(block); ++i) {
      const int64_t at = k.offset(channel, i);
      if (at < 0 || at >= static_cast<int64_t>(hits.size())) {
        ++outside;
        continue;
      }
      misplaced += (at / shape.s) % shape.c != channel;
      ++hits[static_cast<size_t>(at)];
    }
  }
  CHECK(outside == 0);
  CHECK(misplaced == 0);
  CHECK(std::count(hits.begin(), hits.end(), 1) == static_cast<std::ptrdiff_t>(hits.size()));
  CHECK(std::count(firsts.begin(), firsts.end(), 1) == shape.c);
}

// f(shape, multiprocessors, channel_split's answer) for every shape and GPU size above.
template <class F>
void for_each_split(F f) {
  for (const int multiprocessors : kMultiprocessors) {
    for (const Shape& shape : kShapes) {
      CAPTURE(multiprocessors, shape.n, shape.c, shape.s);
      f(shape, multiprocessors, channel_split(shape.n, shape.c, shape.s, multiprocessors));
    }
  }
}

}  // namespace

TEST_CASE("channel chunks cover each channel's elements once, with one first block a channel",
          "[cuda][chunks]") {
  for_each_split([](const Shape& shape, int /*multiprocessors*/, const ChannelSplit& split) {
    check_cover(shape, split);
  });
}

// channel_split leaves a channel's last chunk empty, or starting past its end, only on GPUs of
// more than 512 multiprocessors; these splits, made by hand, walk those blocks here.
TEST_CASE("channel chunks past a channel's end hold nothing", "[cuda][chunks]") {
  const Shape empty_last{9, 1, 1};    // 4 chunks of 3: the last empty
  const Shape past_end{13, 1, 1};     // 6 chunks of 3: the last begins at 15
  const Shape two_channels{5, 2, 1};  // 4 chunks of 2 a channel: the last of each begins at 6
  check_cover(empty_last, ChannelSplit{9, 1, 1, 4});
  check_cover(past_end, ChannelSplit{13, 1, 1, 6});
  check_cover(two_channels, ChannelSplit{5, 2, 1, 4});
  const ChannelChunks k = chunks_of(ChannelSplit{13, 1, 1, 6});
  CHECK(k.begin(5) == 15);
  CHECK(k.end(5) == 13);
}

TEST_CASE("channel_split fills the multiprocessors, with no chunk too small to pay",
          "[cuda][chunks]") {
  for_each_split([](const Shape& shape, int multiprocessors, const ChannelSplit& split) {
    const int64_t count = shape.n * shape.s;
    const int64_t blocks = split.c * split.chunks;
    REQUIRE(split.chunks >= 1);
    // More than one chunk only where each gives every thread of its block four elements.
    if (split.chunks > 1) CHECK(count / split.chunks >= 4 * kChannelThreads);
    // No more than the resident blocks of every multiprocessor (rounded up to whole chunks per
    // channel) ...
    const int64_t resident = int64_t{kChannelBlocksPerMultiprocessor} * multiprocessors;
    CHECK(blocks < resident + shape.c);
    // ... and at least that many where the channels have the elements to give them work.
    if (count >= 4 * kChannelThreads * ((resident + shape.c - 1) / shape.c))
      CHECK(blocks >= resident);
    CHECK(split.scratch_bytes() == static_cast<size_t>(blocks) * 2 * sizeof(double));
  });
}

}  // namespace emnist::cuda::kernels
