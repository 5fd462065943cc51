#pragma once
// How the CUDA backend computes: the precision of its matrix products and convolutions, and whether
// it must give bit-identical results run after run.
#include "emnist/choices.hpp"

namespace emnist {
struct TrainConfig;
}

namespace emnist::cuda {

// Storage is always fp32 (and the master weights with it); precision only says what the tensor
// cores may round the inputs of a product to: fp32, no rounding (FMA kernels only); tf32, inputs
// rounded to TF32 (10-bit mantissa), fp32 accumulation; bf16, GEMM inputs rounded to BF16 (7-bit
// mantissa), fp32 accumulation.
using Precision = emnist::Precision;

struct CudaOptions {
  Precision precision = Precision::fp32;
  // Deterministic cuDNN algorithms only. Our own kernels are deterministic either way (no float
  // atomics), and so is cuBLASLt for a fixed algorithm on one GPU model.
  bool deterministic = false;
  int device = 0;
};

// "fp32", "tf32" or "bf16" (the names are literals, so the pointer is a C string).
inline const char* precision_name(Precision p) { return choice_name(p).data(); }

// The options train.precision and train.deterministic ask for (defaults when train is null).
CudaOptions options_from(const TrainConfig* train);

}  // namespace emnist::cuda
