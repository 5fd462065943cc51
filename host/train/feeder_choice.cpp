// train.feeder's choice among the feeders, in one place: the resident feeder on a GPU unless the
// config asks otherwise, the host feeder on the CPU.
#include "train/batches.hpp"
#include "train/pinned_feeder.hpp"

namespace emnist {

std::string feeder_name(const TrainConfig& config, const Backend& backend) {
  if (config.feeder == FeederChoice::pinned) return "pinned";
  if (config.feeder == FeederChoice::resident || backend.device() == Device::cuda)
    return "resident";
  return "host";
}

std::unique_ptr<Feeder> make_feeder(const TrainConfig& config, Backend& backend, int64_t max_batch,
                                    int64_t image_size) {
  const std::string name = feeder_name(config, backend);
  if (name == "pinned") return std::make_unique<PinnedFeeder>(backend, max_batch, image_size);
  if (name == "resident") return std::make_unique<ResidentFeeder>(backend, image_size);
  return std::make_unique<BatchFeeder>(backend, max_batch, image_size);
}

}  // namespace emnist
