#include "op_checks.hpp"

#include <stdexcept>

namespace emnist::cuda {

void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string("cuda backend: ") + op + ": " + what);
}

void require_tensor(const Tensor& t, int rank, const char* op, const char* name) {
  if (t.empty()) fail(op, std::string(name) + " is empty");
  if (t.device != Device::cuda) fail(op, std::string(name) + " is not in GPU memory");
  if (rank >= 0 && t.rank != rank) {
    fail(op, std::string(name) + " has rank " + std::to_string(t.rank) + ", expected " +
                 std::to_string(rank));
  }
  for (int i = 0; i < t.rank; ++i) {
    if (t.dim(i) < 0) fail(op, std::string(name) + " has a negative dimension");
  }
}

void require_optional(const Tensor& t, int rank, const char* op, const char* name) {
  if (!t.empty()) require_tensor(t, rank, op, name);
}

void require_same_shape(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  bool same = a.rank == b.rank;
  for (int i = 0; same && i < a.rank; ++i) same = a.dim(i) == b.dim(i);
  if (!same) fail(op, std::string(what) + " differ in shape");
}

void require_vector(const Tensor& t, int64_t n, const char* op, const char* name) {
  require_tensor(t, 1, op, name);
  if (t.dim(0) != n) {
    fail(op, std::string(name) + " has " + std::to_string(t.dim(0)) + " elements, expected " +
                 std::to_string(n));
  }
}

}  // namespace emnist::cuda
