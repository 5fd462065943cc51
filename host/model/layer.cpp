#include <stdexcept>
#include <string>

#include "emnist/layers.hpp"

namespace emnist {

int64_t SampleShape::numel() const {
  int64_t n = rank == 0 ? 0 : 1;
  for (int i = 0; i < rank; ++i) n *= dims[static_cast<size_t>(i)];
  return n;
}

std::string SampleShape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims[static_cast<size_t>(i)]);
  }
  return s + "]";
}

Tensor batch_view(float* data, int64_t n, const SampleShape& shape, Device device) {
  Tensor t;
  t.data = data;
  t.device = device;
  t.rank = shape.rank + 1;
  t.shape[0] = n;
  for (int i = 0; i < shape.rank; ++i) t.shape[static_cast<size_t>(i + 1)] = shape.dim(i);
  return t;
}

int64_t ParamSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t Layer::parameter_count() const {
  int64_t n = 0;
  for (const ParamSpec& spec : param_specs())
    if (spec.group != ParamGroup::buffer) n += spec.numel();
  return n;
}

}  // namespace emnist
