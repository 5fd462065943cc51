// The CUDA tests run only where a GPU is visible; elsewhere this binary exits 77, which ctest
// reports as skipped (Catch2 2.13 has no SKIP of its own). Listing the tests needs no GPU.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <iostream>

#include "emnist/cuda_info.hpp"

int main(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--list", 6) == 0) return Catch::Session().run(argc, argv);
  }
  const emnist::CudaStatus status = emnist::query_cuda();
  if (status.gpus.empty()) {
    std::cout << "SKIPPED: " << status.no_gpu_reason << std::endl;
    return 77;
  }
  std::cout << "GPU 0: " << status.gpus.front().name << " (compute capability "
            << status.gpus.front().cc_major << "." << status.gpus.front().cc_minor << ")\n";
  return Catch::Session().run(argc, argv);
}
