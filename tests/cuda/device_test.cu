// The device is usable at all: a kernel writes, the host reads back what it wrote.
#include <catch2/catch.hpp>

#include <vector>

#include "cuda_check.hpp"
#include "emnist/cuda_info.hpp"

namespace {

__global__ void write_index(float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<float>(i) * 0.5f;
}

}  // namespace

TEST_CASE("a kernel runs and its output reads back", "[cuda][sanitize]") {
  const int n = 1000;  // not a multiple of the block size: the bounds check matters
  float* device = nullptr;
  EMNIST_CUDA_CHECK(cudaMalloc(&device, n * sizeof(float)));
  write_index<<<(n + 255) / 256, 256>>>(device, n);
  EMNIST_LAUNCH_CHECK();
  std::vector<float> host(n, -1.0f);
  EMNIST_CUDA_CHECK(cudaMemcpy(host.data(), device, n * sizeof(float), cudaMemcpyDeviceToHost));
  EMNIST_CUDA_CHECK(cudaFree(device));
  for (int i = 0; i < n; ++i) REQUIRE(host[i] == static_cast<float>(i) * 0.5f);
}

TEST_CASE("query_cuda describes the visible GPU", "[cuda]") {
  const auto status = emnist::query_cuda();
  REQUIRE(status.compiled);
  REQUIRE_FALSE(status.gpus.empty());
  REQUIRE(status.driver_version > 0);
  REQUIRE(status.gpus.front().total_bytes > 0);
  REQUIRE(status.gpus.front().cc_major >= 7);
  REQUIRE_FALSE(status.cudnn_version.empty());
  REQUIRE_FALSE(status.cublas_version.empty());
}
