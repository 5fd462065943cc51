// make_backend on a machine with a GPU: "cuda" and "auto" give the CUDA backend, configured from
// train.precision and train.deterministic; "cpu" still gives the CPU backend.
#include <catch2/catch.hpp>

#include "cuda_backend.hpp"
#include "emnist/config.hpp"
#include "emnist/cuda_info.hpp"
#include "emnist/error.hpp"

using namespace emnist;

TEST_CASE("cuda make_backend: cuda and auto give the CUDA backend with the configured options",
          "[cuda][backend]") {
  TrainConfig tc;
  tc.precision = "tf32";
  tc.deterministic = true;
  for (const char* device : {"cuda", "auto"}) {
    CAPTURE(device);
    const auto backend = make_backend(device, &tc);
    REQUIRE(backend->device() == Device::cuda);
    CHECK(backend->name() == "cuda");
    const auto* cuda_backend = dynamic_cast<const cuda::CudaBackend*>(backend.get());
    REQUIRE(cuda_backend != nullptr);
    CHECK(cuda_backend->options().precision == cuda::Precision::tf32);
    CHECK(cuda_backend->options().deterministic);
  }
  const auto plain = make_backend("cuda");
  const auto* cuda_plain = dynamic_cast<const cuda::CudaBackend*>(plain.get());
  REQUIRE(cuda_plain != nullptr);
  CHECK(cuda_plain->options().precision == cuda::Precision::fp32);
  CHECK_FALSE(cuda_plain->options().deterministic);
  CHECK(make_backend("cpu")->device() == Device::cpu);
}

TEST_CASE("cuda make_backend: an unknown precision is a user error naming the key",
          "[cuda][backend]") {
  TrainConfig tc;
  tc.precision = "fp8";
  try {
    make_backend("cuda", &tc);
    FAIL("no error for train.precision = fp8");
  } catch (const UserError& e) {
    CHECK(std::string(e.what()).find("train.precision") != std::string::npos);
  }
}
