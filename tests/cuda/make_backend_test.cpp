// make_backend on a machine with a GPU: cuda and auto give the CUDA backend, configured from
// train.precision and train.deterministic; cpu still gives the CPU backend. (An unknown precision
// cannot reach it: train.precision is an enum, and the config's parser names the key.)
#include <catch2/catch.hpp>

#include "cuda_backend.hpp"
#include "emnist/config.hpp"
#include "emnist/cuda_info.hpp"

using namespace emnist;

TEST_CASE("cuda make_backend: cuda and auto give the CUDA backend with the configured options",
          "[cuda][backend]") {
  TrainConfig tc;
  tc.precision = Precision::tf32;
  tc.deterministic = true;
  for (const DeviceChoice device : {DeviceChoice::cuda, DeviceChoice::automatic}) {
    CAPTURE(cuda::precision_name(tc.precision), static_cast<int>(device));
    const auto backend = make_backend(device, &tc);
    REQUIRE(backend->device() == Device::cuda);
    CHECK(backend->name() == "cuda");
    const auto* cuda_backend = dynamic_cast<const cuda::CudaBackend*>(backend.get());
    REQUIRE(cuda_backend != nullptr);
    CHECK(cuda_backend->options().precision == cuda::Precision::tf32);
    CHECK(cuda_backend->options().deterministic);
  }
  const auto plain = make_backend(DeviceChoice::cuda);
  const auto* cuda_plain = dynamic_cast<const cuda::CudaBackend*>(plain.get());
  REQUIRE(cuda_plain != nullptr);
  CHECK(cuda_plain->options().precision == cuda::Precision::fp32);
  CHECK_FALSE(cuda_plain->options().deterministic);
  CHECK(make_backend(DeviceChoice::cpu)->device() == Device::cpu);
}
