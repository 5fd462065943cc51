// The CPU backend refuses views that do not fit the op (a wrong shape is a caller's bug, and
// reading past a buffer would hide it) and skips gradient outputs passed as empty views.
#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {

TEST_CASE("cpu backend rejects mismatched shapes", "[cpu][shapes]") {
  auto be = make_cpu_backend();
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 1.0f), d(64, 1.0f);
  std::vector<int32_t> argmax(64);

  // linear: w's columns must match x's.
  CHECK_THROWS_AS(be->linear_forward(view(a, {2, 3}), view(b, {4, 5}), Tensor(), view(c, {2, 4})),
                  std::invalid_argument);
  // y of the wrong size.
  CHECK_THROWS_AS(be->linear_forward(view(a, {2, 3}), view(b, {4, 3}), Tensor(), view(c, {2, 5})),
                  std::invalid_argument);
  // conv: output size must follow from the input, kernel, stride and padding.
  CHECK_THROWS_AS(be->conv2d_forward(view(a, {1, 1, 4, 4}), view(b, {1, 1, 3, 3}), Tensor(),
                                     view(c, {1, 1, 4, 4}), Conv2dParams{1, 0}),
                  std::invalid_argument);
  CHECK_THROWS_AS(be->conv2d_forward(view(a, {1, 2, 4, 4}), view(b, {1, 1, 3, 3}), Tensor(),
                                     view(c, {1, 1, 2, 2}), Conv2dParams{1, 0}),
                  std::invalid_argument);
  // pool: [N, C, H/2, W/2].
  CHECK_THROWS_AS(
      be->maxpool2d_forward(view(a, {1, 1, 4, 4}), view(c, {1, 1, 3, 3}), argmax.data()),
      std::invalid_argument);
  // batch norm: per-channel vectors of C; more than one value per channel to train.
  CHECK_THROWS_AS(be->batchnorm_forward_train(view(a, {4, 3}), view(b, {2}), view(b, {3}),
                                              view(c, {3}), view(c, {3}), view(d, {4, 3}),
                                              view(d, {3}), view(d, {3}), BatchNormParams{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(be->batchnorm_forward_train(view(a, {1, 3}), view(b, {3}), view(b, {3}),
                                              view(c, {3}), view(c, {3}), view(d, {1, 3}),
                                              view(d, {3}), view(d, {3}), BatchNormParams{}),
                  std::invalid_argument);
  // dropout inside batch norm: after its activation, with scalars, activated shaped as y.
  {
    std::vector<float> x(12), gamma(3, 1.0f), beta(3), rm(3), rv(3, 1.0f), y(12), sm(3), si(3),
        kept(12);
    StepScalars step;
    auto forward = [&](BatchNormParams p) {
      be->batchnorm_forward_train(view(x, {4, 3}), view(gamma, {3}), view(beta, {3}), view(rm, {3}),
                                  view(rv, {3}), view(y, {4, 3}), view(sm, {3}), view(si, {3}), p);
    };
    BatchNormParams p;
    p.activate = true;
    p.dropout = {0.5f, 1, 2, &step, view(kept, {4, 3})};
    CHECK_NOTHROW(forward(p));
    BatchNormParams no_activation = p;
    no_activation.activate = false;
    CHECK_THROWS_AS(forward(no_activation), std::invalid_argument);
    BatchNormParams no_scalars = p;
    no_scalars.dropout.scalars = nullptr;
    CHECK_THROWS_AS(forward(no_scalars), std::invalid_argument);
    BatchNormParams wrong_kept = p;
    wrong_kept.dropout.activated = view(kept, {3, 4});
    CHECK_THROWS_AS(forward(wrong_kept), std::invalid_argument);
    BatchNormParams all_dropped = p;
    all_dropped.dropout.p = 1.0f;
    CHECK_THROWS_AS(forward(all_dropped), std::invalid_argument);
  }
  // a residual added inside batch norm: shaped as x, without dropout, forward only.
  {
    std::vector<float> x(12), gamma(3, 1.0f), beta(3), rm(3), rv(3, 1.0f), y(12), sm(3), si(3),
        r(12), kept(12), dy(12), dx(12), dg(3), db(3);
    StepScalars step;
    auto forward = [&](BatchNormParams p) {
      be->batchnorm_forward_train(view(x, {4, 3}), view(gamma, {3}), view(beta, {3}), view(rm, {3}),
                                  view(rv, {3}), view(y, {4, 3}), view(sm, {3}), view(si, {3}), p);
    };
    auto infer = [&](BatchNormParams p) {
      be->batchnorm_forward_infer(view(x, {4, 3}), view(gamma, {3}), view(beta, {3}), view(rm, {3}),
                                  view(rv, {3}), view(y, {4, 3}), p);
    };
    BatchNormParams p;
    p.activate = true;
    p.residual = view(r, {4, 3});
    CHECK_NOTHROW(forward(p));
    CHECK_NOTHROW(infer(p));
    BatchNormParams wrong_shape = p;
    wrong_shape.residual = view(r, {3, 4});
    CHECK_THROWS_AS(forward(wrong_shape), std::invalid_argument);
    CHECK_THROWS_AS(infer(wrong_shape), std::invalid_argument);
    BatchNormParams with_dropout = p;
    with_dropout.dropout = {0.5f, 1, 2, &step, view(kept, {4, 3})};
    CHECK_THROWS_AS(forward(with_dropout), std::invalid_argument);
    CHECK_THROWS_AS(
        be->batchnorm_activation_backward(
            view(x, {4, 3}), view(y, {4, 3}), view(dy, {4, 3}), view(gamma, {3}), view(beta, {3}),
            view(sm, {3}), view(si, {3}), view(dx, {4, 3}), view(dg, {3}), view(db, {3}), p),
        std::invalid_argument);
  }
  // global average pooling: y is [N, C] of x's [N, C, H, W].
  CHECK_THROWS_AS(be->global_avgpool_forward(view(a, {1, 2, 2, 2}), view(b, {2, 1})),
                  std::invalid_argument);
  CHECK_THROWS_AS(be->global_avgpool_backward(view(b, {1, 3}), view(a, {1, 2, 2, 2})),
                  std::invalid_argument);
  CHECK_NOTHROW(be->global_avgpool_forward(view(a, {1, 2, 2, 2}), view(b, {1, 2})));
  // the weights' average: one size, decay in [0, 1), the step's scalars.
  {
    StepScalars step;
    CHECK_THROWS_AS(be->ema_update(view(a, {8}), view(b, {9}), 0.9f, &step), std::invalid_argument);
    CHECK_THROWS_AS(be->ema_update(view(a, {8}), view(b, {8}), 1.0f, &step), std::invalid_argument);
    CHECK_THROWS_AS(be->ema_update(view(a, {8}), view(b, {8}), 0.9f, nullptr),
                    std::invalid_argument);
    CHECK_NOTHROW(be->ema_update(view(a, {8}), view(b, {8}), 0.9f, &step));
  }
  // activation sizes.
  CHECK_THROWS_AS(be->activation_forward(Activation{}, view(a, {8}), view(b, {9})),
                  std::invalid_argument);
  // dropout probability.
  StepScalars scalars;
  CHECK_THROWS_AS(be->dropout_forward(view(a, {8}), view(b, {8}), 1.0f, 1, 0, &scalars),
                  std::invalid_argument);
  // optimizer state of the wrong size.
  OptimizerParams adam;
  CHECK_THROWS_AS(
      be->optimizer_step(adam, view(a, {8}), view(b, {8}), view(c, {8}), view(d, {7}), &scalars),
      std::invalid_argument);
  // a view claiming to be in GPU memory.
  CHECK_THROWS_AS(
      be->activation_forward(Activation{}, Tensor(a.data(), {8}, Device::cuda), view(b, {8})),
      std::invalid_argument);
}

}  // namespace emnist::test
