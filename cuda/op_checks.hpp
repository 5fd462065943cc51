#pragma once
// Argument checks of the CUDA ops, the same as the CPU backend's: a wrong shape is a bug in the
// caller, and on the GPU a read past a buffer would not even fail, so every op checks its views
// before launching anything. Only the views are checked, never device memory (that would need a
// synchronisation).
#include <cstdint>
#include <string>

#include "emnist/tensor.hpp"

namespace emnist::cuda {

[[noreturn]] void fail(const char* op, const std::string& what);

inline void require(bool ok, const char* op, const char* what) {
  if (!ok) fail(op, what);
}

// t is present, lives on the GPU and has the given rank (any rank when rank < 0).
void require_tensor(const Tensor& t, int rank, const char* op, const char* name);
// An optional tensor: either empty, or as require_tensor says.
void require_optional(const Tensor& t, int rank, const char* op, const char* name);
void require_same_shape(const Tensor& a, const Tensor& b, const char* op, const char* what);
// t is a vector of n elements (rank 1).
void require_vector(const Tensor& t, int64_t n, const char* op, const char* name);

}  // namespace emnist::cuda
