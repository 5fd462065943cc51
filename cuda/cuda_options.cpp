#include "cuda_options.hpp"

#include "emnist/config.hpp"
#include "emnist/error.hpp"

namespace emnist::cuda {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "tf32") return Precision::tf32;
  if (name == "bf16") return Precision::bf16;
  throw UserError("train.precision = '" + name + "': expected fp32, tf32 or bf16");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32:
      return "fp32";
    case Precision::tf32:
      return "tf32";
    case Precision::bf16:
      return "bf16";
  }
  return "?";
}

CudaOptions options_from(const TrainConfig* train) {
  CudaOptions o;
  if (train != nullptr) {
    o.precision = parse_precision(train->precision);
    o.deterministic = train->deterministic;
  }
  return o;
}

}  // namespace emnist::cuda
