#include "emnist/op_checks.hpp"

#include <stdexcept>

namespace emnist::checks {

void fail(Device device, const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(device == Device::cpu ? "cpu" : "cuda") +
                              " backend: " + op + ": " + what);
}

void require_tensor(const Tensor& t, int rank, Device device, const char* op, const char* name) {
  if (t.empty()) fail(device, op, std::string(name) + " is empty");
  if (t.device != device)
    fail(device, op,
         std::string(name) +
             (device == Device::cpu ? " is not in CPU memory" : " is not in GPU memory"));
  if (rank >= 0 && t.rank != rank) {
    fail(device, op,
         std::string(name) + " has rank " + std::to_string(t.rank) + ", expected " +
             std::to_string(rank));
  }
  for (int i = 0; i < t.rank; ++i) {
    if (t.dim(i) < 0) fail(device, op, std::string(name) + " has a negative dimension");
  }
}

void require_optional(const Tensor& t, int rank, Device device, const char* op, const char* name) {
  if (!t.empty()) require_tensor(t, rank, device, op, name);
}

void require_same_shape(const Tensor& a, const Tensor& b, Device device, const char* op,
                        const char* what) {
  bool same = a.rank == b.rank;
  for (int i = 0; same && i < a.rank; ++i) same = a.dim(i) == b.dim(i);
  if (!same) fail(device, op, std::string(what) + " differ in shape");
}

void require_vector(const Tensor& t, int64_t n, Device device, const char* op, const char* name) {
  require_tensor(t, 1, device, op, name);
  if (t.dim(0) != n) {
    fail(device, op,
         std::string(name) + " has " + std::to_string(t.dim(0)) + " elements, expected " +
             std::to_string(n));
  }
}

}  // namespace emnist::checks
