#pragma once
// The reference of the op tests: the CPU backend at one OpenMP thread, every input and output a
// host vector.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "emnist/backend.hpp"

namespace emnist::test {

// Created once per process and never destroyed (see reference.cpp).
Backend& reference_backend();
// Runs ops on the reference backend with OpenMP limited to one thread.
void run_reference(const std::function<void(Backend&)>& ops);

inline Tensor host_tensor(std::vector<float>& v, std::initializer_list<int64_t> dims) {
  return Tensor(v.data(), dims, Device::cpu);
}

}  // namespace emnist::test
