#pragma once
// Names each backend op on Nsight Systems timelines (an NVTX range per call, in the "emnist"
// domain). Without a profiler attached a range costs a few nanoseconds.
#include <nvtx3/nvtx3.hpp>

namespace emnist::cuda {

struct NvtxDomain {
  static constexpr const char* name{"emnist"};
};

using OpRange = nvtx3::scoped_range_in<NvtxDomain>;

}  // namespace emnist::cuda
