#pragma once
// The step scalars (learning rate, step counter) in a backend's memory, where ops read them as
// StepRunner keeps them: a new value each step without new launch parameters.
#include "emnist/backend.hpp"

namespace emnist::test {

class TargetScalars {
 public:
  explicit TargetScalars(Backend& backend)
      : backend_(backend),
        data_(static_cast<StepScalars*>(backend.allocate(sizeof(StepScalars)))) {}
  ~TargetScalars() { backend_.release(data_); }
  TargetScalars(const TargetScalars&) = delete;
  TargetScalars& operator=(const TargetScalars&) = delete;

  StepScalars* data() const { return data_; }
  void upload(const StepScalars& s) { backend_.copy_from_host(data_, &s, sizeof s); }

 private:
  Backend& backend_;
  StepScalars* data_;
};

}  // namespace emnist::test
