#pragma once
// The CUDA tests' backends, and the shared helpers of the op tests (random inputs, guarded
// buffers, tolerances; tests/ops/) for the tests here that are not in the op-test table: whole
// model steps, graphs, determinism, feeders.
#include "cuda_backend.hpp"
#include "emnist/backend.hpp"
#include "ops/guarded.hpp"
#include "ops/random_inputs.hpp"
#include "ops/reference.hpp"
#include "ops/tolerance.hpp"

namespace emnist::cuda_test {

using namespace emnist::test;

// The backends, created once per process (cuDNN and cuBLASLt handles take a while to create).
// cpu() is the op tests' reference backend.
Backend& cpu();
Backend& gpu(cuda::Precision precision = cuda::Precision::fp32, bool deterministic = false);

}  // namespace emnist::cuda_test
