// Deterministic mode: the same op on the same inputs gives the same bits, call after call, on ops
// whose GPU implementations could otherwise reduce in a varying order (cuDNN's backward filter and
// data, batch-norm statistics, the loss), and whole training steps give the same losses and
// weights.
#include <catch2/catch.hpp>

#include <functional>

#include "compare.hpp"
#include "model_fixtures.hpp"

using namespace emnist;
using namespace emnist::cuda_test;

namespace {

Backend& det() { return gpu(cuda::Precision::fp32, true); }

// Runs `op` (which writes into `out`) twice, poisoning `out` in between, and compares the bits.
void twice(Guarded<float>& out, const std::function<void()>& op, const std::string& what) {
  op();
  const auto first = out.read();
  out.upload(nan_vector(out.size()));
  op();
  expect_same_bits(out.read(), first, what);
}

}  // namespace

TEST_CASE("cuda deterministic: conv2d backward filter and data repeat bit for bit",
          "[cuda][determinism]") {
  // A batch large enough for cuDNN to pick split-reduction algorithms where it may.
  const int64_t n = 64, c = 16, h = 28, w = 28, o = 32, k = 3;
  const Conv2dParams p{1, 1};
  Backend& dev = det();
  Guarded<float> gx(dev, uniform(static_cast<size_t>(n * c * h * w), -1, 1, 301));
  Guarded<float> gw(dev, uniform(static_cast<size_t>(o * c * k * k), -1, 1, 302));
  Guarded<float> gdy(dev, uniform(static_cast<size_t>(n * o * h * w), -1, 1, 303));
  Guarded<float> gdx(dev, gx.size()), gdw(dev, gw.size()), gdb(dev, static_cast<size_t>(o)),
      gy(dev, gdy.size());
  const auto x = gx.tensor({n, c, h, w}), wt = gw.tensor({o, c, k, k}),
             dy = gdy.tensor({n, o, h, w});
  twice(
      gy,
      [&] {
        dev.conv2d_forward(x, wt, Tensor{}, gy.tensor({n, o, h, w}), p);
      },
      "y");
  twice(
      gdw,
      [&] {
        dev.conv2d_backward(x, wt, dy, Tensor{}, gdw.tensor({o, c, k, k}), Tensor{}, p);
      },
      "dw");
  twice(
      gdx,
      [&] {
        dev.conv2d_backward(x, wt, dy, gdx.tensor({n, c, h, w}), Tensor{}, Tensor{}, p);
      },
      "dx");
  twice(
      gdb, [&] { dev.conv2d_backward(x, wt, dy, Tensor{}, Tensor{}, gdb.tensor({o}), p); }, "db");
  for (const auto* g : {&gx, &gw, &gdy, &gdx, &gdw, &gdb, &gy}) g->check_guards("conv2d");
}

TEST_CASE("cuda deterministic: batch norm, linear and the loss repeat bit for bit",
          "[cuda][determinism][sanitize]") {
  Backend& dev = det();
  const int64_t n = 32, c = 8, h = 14, w = 14;
  const size_t nt = static_cast<size_t>(n * c * h * w), nc = static_cast<size_t>(c);
  Guarded<float> gx(dev, uniform(nt, -1, 2, 311)), gdy(dev, uniform(nt, -1, 1, 312));
  Guarded<float> gamma(dev, uniform(nc, 0.5f, 1.5f, 313)), beta(dev, uniform(nc, -1, 1, 314));
  Guarded<float> rm(dev, std::vector<float>(nc, 0.0f)), rv(dev, std::vector<float>(nc, 1.0f));
  Guarded<float> y(dev, nt), sm(dev, nc), si(dev, nc), dx(dev, nt), dg(dev, nc), db(dev, nc);
  const auto x4 = gx.tensor({n, c, h, w});
  dev.batchnorm_forward_train(x4, gamma.tensor({c}), beta.tensor({c}), rm.tensor({c}),
                              rv.tensor({c}), y.tensor({n, c, h, w}), sm.tensor({c}),
                              si.tensor({c}), BatchNormParams{});
  twice(
      dx,
      [&] {
        dev.batchnorm_backward(x4, gdy.tensor({n, c, h, w}), gamma.tensor({c}), sm.tensor({c}),
                               si.tensor({c}), dx.tensor({n, c, h, w}), dg.tensor({c}),
                               db.tensor({c}));
      },
      "batchnorm dx");
  twice(
      dg,
      [&] {
        dev.batchnorm_backward(x4, gdy.tensor({n, c, h, w}), gamma.tensor({c}), sm.tensor({c}),
                               si.tensor({c}), Tensor{}, dg.tensor({c}), Tensor{});
      },
      "batchnorm dgamma");
  twice(
      y,
      [&] {
        // Running statistics are updated again each time; the normalised output is not affected.
        dev.batchnorm_forward_train(x4, gamma.tensor({c}), beta.tensor({c}), rm.tensor({c}),
                                    rv.tensor({c}), y.tensor({n, c, h, w}), sm.tensor({c}),
                                    si.tensor({c}), BatchNormParams{});
      },
      "batchnorm y");

  const int64_t b = 128, in = 784, out = 512, classes = 47;
  Guarded<float> lx(dev, uniform(static_cast<size_t>(b * in), -1, 1, 321));
  Guarded<float> lw(dev, uniform(static_cast<size_t>(out * in), -1, 1, 322));
  Guarded<float> ldy(dev, uniform(static_cast<size_t>(b * out), -1, 1, 323));
  Guarded<float> ldw(dev, lw.size()), ldb(dev, static_cast<size_t>(out));
  twice(
      ldw,
      [&] {
        dev.linear_backward(lx.tensor({b, in}), lw.tensor({out, in}), ldy.tensor({b, out}),
                            Tensor{}, ldw.tensor({out, in}), ldb.tensor({out}));
      },
      "linear dw");

  Guarded<float> z(dev, uniform(static_cast<size_t>(b * classes), -4, 4, 331));
  Guarded<int32_t> lab(dev, labels(static_cast<size_t>(b), static_cast<int>(classes), 332));
  Guarded<float> loss(dev, 1), dz(dev, z.size());
  twice(
      loss,
      [&] {
        dev.softmax_cross_entropy(z.tensor({b, classes}), lab.data(), dz.tensor({b, classes}),
                                  loss.data(), {});
      },
      "loss");
}

TEST_CASE("cuda deterministic: two identical training runs give the same losses and weights",
          "[cuda][determinism]") {
  TrainConfig tc;
  tc.optimizer = OptimizerKind::adam;
  tc.lr = 1e-3;
  tc.seed = 23;
  tc.deterministic = true;
  const int64_t batch = 16;
  const auto x = uniform(static_cast<size_t>(batch * 28 * 28), 0, 1, 341);
  const auto y = labels(static_cast<size_t>(batch), 10, 342);
  std::vector<std::vector<float>> losses(2), params(2);
  for (int run = 0; run < 2; ++run) {
    ModelRun r(det(), small_cnn(), tc, 10, batch, x, y);
    for (int step = 0; step < 3; ++step) {
      r.runner->train_batch(batch, static_cast<float>(tc.lr));
      losses[static_cast<size_t>(run)].push_back(r.runner->read_last_loss());
    }
    params[static_cast<size_t>(run)] = r.params();
  }
  expect_same_bits(losses[1], losses[0], "losses");
  expect_same_bits(params[1], params[0], "weights");
}
