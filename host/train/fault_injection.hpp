#pragma once
// Faults at chosen moments, for the interruption and divergence tests (no sleeps, no races): the
// environment variable EMNIST_FAULT, unset in normal use, names one.
//   sigint@step=N, sigterm@step=N  the process raises the signal once optimizer step N (from 1)
//                                  of this process has finished
//   sigkill@checkpoint=K           dies by SIGKILL halfway through writing its K-th checkpoint file
//   nan@step=N                     sets every parameter to NaN once step N has finished (one is
//                                  not enough: ReLU maps NaN to 0)
#include <cstdint>
#include <functional>

namespace emnist {

class Model;

struct FaultPlan {
  enum class Kind { none, sigint, sigterm, sigkill, nan };
  Kind kind = Kind::none;
  int64_t at = 0;
};

// EMNIST_FAULT, parsed once. A malformed value is a UserError naming the variable.
const FaultPlan& fault_plan();

// The training loop's two hooks, which do nothing unless EMNIST_FAULT names a fault there: after
// optimizer step `steps` of this process (a signal, or NaN parameters), and for the next
// checkpoint write (the `midway` callback of write_file_atomic: SIGKILL in the K-th write).
void inject_after_step(int64_t steps, Model& model);
std::function<void()> checkpoint_write_fault();

}  // namespace emnist
