// The steady state allocates nothing: once a training and an evaluation step have run (cuDNN and
// cuBLASLt have sized their workspaces), further steps of both kinds make no device allocation.
#include <catch2/catch.hpp>

#include "compare.hpp"
#include "model_fixtures.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

TEST_CASE("cuda steps allocate nothing once warm", "[cuda][memory]") {
  for (const ModelConfig& mc : {reference_mlp(), small_cnn(), small_resnet()}) {
    CAPTURE(mc.kind);
    TrainConfig tc;
    const int64_t batch = 64;
    const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, 901);
    const auto y = labels(static_cast<size_t>(batch), 47, 902);
    ModelRun run(gpu(), mc, tc, 47, batch, x, y);
    run.runner->train_batch(batch, 1e-3f);
    run.runner->eval_batch(batch);
    run.runner->eval_batch(batch / 2 + 1);  // a partial batch, as evaluation's last one
    gpu().synchronize();
    const MemoryStats warm = gpu().memory_stats();
    for (int i = 0; i < 5; ++i) {
      run.runner->train_batch(batch, 1e-3f);
      run.runner->eval_batch(batch);
      run.runner->eval_batch(batch / 2 + 1);
    }
    gpu().synchronize();
    const MemoryStats after = gpu().memory_stats();
    CHECK(after.allocations == warm.allocations);
    CHECK(after.in_use == warm.in_use);
    CHECK(after.peak == warm.peak);
    // The steady state measured is the captured one (train.cuda_graph is on by default): the
    // three step kinds were captured on their second run and replayed from then on.
    run.check_graphs(3, 15);
  }
}
