#include "host/train_fixtures.hpp"

#include <fstream>
#include <numeric>
#include <stdexcept>

#include "emnist/element_math.hpp"

namespace emnist::train_test {

Subset whole(const ImageSet& set) {
  Subset s;
  s.source = &set;
  s.indices.resize(static_cast<size_t>(set.count));
  std::iota(s.indices.begin(), s.indices.end(), int64_t{0});
  return s;
}

ModelConfig small_mlp() {
  ModelConfig c;
  c.kind = "mlp";
  c.hidden = {64, 32, 16};
  c.dropout = 0.0;
  return c;
}

ModelConfig small_cnn() {
  ModelConfig c;
  c.kind = "cnn";
  c.conv = {{false, 8}, {true, 0}, {false, 16}, {true, 0}};
  c.hidden = {32};
  c.dropout = 0.0;
  return c;
}

Config synthetic_idx_run(const std::filesystem::path& dir, int64_t train_count,
                         int64_t test_count, uint64_t seed) {
  Config c;
  c.data = test::write_synthetic_idx(dir, train_count, test_count, seed);
  c.model = small_mlp();
  c.model.dropout = 0.1;
  c.train.epochs = 3;
  c.train.batch_size = 32;
  c.train.lr = 3e-3;
  c.train.log_every = 5;
  return c;
}

CountingBackend::CountingBackend() : inner_(make_cpu_backend()) {}

}  // namespace emnist::train_test
