// The Backend contract's default implementations: compositions of other ops, for backends that
// have no fused version of their own.
#include "emnist/backend.hpp"
#include "emnist/op_checks.hpp"

namespace emnist {

void Backend::batchnorm_activation_backward(Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                            Tensor beta, Tensor save_mean, Tensor save_invstd,
                                            Tensor dx, Tensor dgamma, Tensor dbeta,
                                            BatchNormParams p) {
  const Device d = device();
  checks::batchnorm_activation_backward(d, x, y, dy, gamma, beta, save_mean, save_invstd, dx,
                                        dgamma, dbeta, p);
  checks::OpCheck(d, "batchnorm_activation_backward")
      .require(!dx.empty(), "this backend needs dx to hold the activation's gradient");
  const BatchNormDropout& drop = p.dropout;
  if (drop.p > 0.0f) {
    dropout_backward(dy, dx, drop.p, drop.seed, drop.layer, drop.scalars);
    activation_backward(p.activation, y, dx, dx);
  } else {
    activation_backward(p.activation, y, dy, dx);
  }
  batchnorm_backward(x, dx, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

}  // namespace emnist
