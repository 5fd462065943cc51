#pragma once
// Argument checks shared by every backend's ops. A wrong shape is a bug in the caller, and reading
// past a buffer would hide it (on the GPU it would not even fail), so every op checks its views
// before touching memory. Only views are checked, never the memory itself. Failures throw
// std::invalid_argument naming the backend, the op and the view.
#include <cstdint>
#include <string>

#include "emnist/tensor.hpp"

namespace emnist::checks {

[[noreturn]] void fail(Device device, const char* op, const std::string& what);
// t is present, lives on `device` and has the given rank (any rank when rank < 0).
void require_tensor(const Tensor& t, int rank, Device device, const char* op, const char* name);
// An optional tensor: either empty, or as require_tensor says.
void require_optional(const Tensor& t, int rank, Device device, const char* op, const char* name);
void require_same_shape(const Tensor& a, const Tensor& b, Device device, const char* op,
                        const char* what);
// t is a vector of n elements (rank 1).
void require_vector(const Tensor& t, int64_t n, Device device, const char* op, const char* name);

}  // namespace emnist::checks
