#pragma once
// The CPU ops' argument checks: emnist/op_checks.hpp for this backend's memory.
#include <cstdint>
#include <string>

#include "emnist/op_checks.hpp"

namespace emnist::cpu {

[[noreturn]] inline void fail(const char* op, const std::string& what) {
  checks::fail(Device::cpu, op, what);
}
inline void require(bool ok, const char* op, const char* what) {
  if (!ok) fail(op, what);
}
inline void require_tensor(const Tensor& t, int rank, const char* op, const char* name) {
  checks::require_tensor(t, rank, Device::cpu, op, name);
}
inline void require_optional(const Tensor& t, int rank, const char* op, const char* name) {
  checks::require_optional(t, rank, Device::cpu, op, name);
}
inline void require_same_shape(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  checks::require_same_shape(a, b, Device::cpu, op, what);
}
inline void require_vector(const Tensor& t, int64_t n, const char* op, const char* name) {
  checks::require_vector(t, n, Device::cpu, op, name);
}

}  // namespace emnist::cpu
