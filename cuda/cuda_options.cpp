#include "cuda_options.hpp"

#include "emnist/config.hpp"

namespace emnist::cuda {

CudaOptions options_from(const TrainConfig* train) {
  CudaOptions o;
  if (train != nullptr) {
    o.precision = train->precision;
    o.deterministic = train->deterministic;
  }
  return o;
}

}  // namespace emnist::cuda
