// Reductions of the CPU backend are bit-identical from run to run, and do not depend on the number
// of OpenMP threads (every sum is taken in one fixed order).
#include <catch2/catch.hpp>

#include <omp.h>

#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"

namespace emnist::test {
namespace {

struct ConvGrads {
  std::vector<float> dx, dw, db;
};

ConvGrads conv_backward_once(Backend& be) {
  const int64_t n = 20, c = 3, h = 12, w = 11, o = 8, k = 3;
  auto x = uniform(static_cast<size_t>(n * c * h * w), -1, 1, 151);
  auto wt = uniform(static_cast<size_t>(o * c * k * k), -1, 1, 152);
  auto dy = uniform(static_cast<size_t>(n * o * h * w), -1, 1, 153);
  ConvGrads g{nan_vector(x.size()), nan_vector(wt.size()), nan_vector(static_cast<size_t>(o))};
  be.conv2d_backward(view(x, {n, c, h, w}), view(wt, {o, c, k, k}), view(dy, {n, o, h, w}),
                     view(g.dx, {n, c, h, w}), view(g.dw, {o, c, k, k}), view(g.db, {o}),
                     Conv2dParams{1, 1});
  return g;
}

struct BnResults {
  std::vector<float> y, mean, invstd, rm, rv, dx, dgamma, dbeta;
};

BnResults batchnorm_once(Backend& be, bool spatial) {
  const int64_t n = 64, c = spatial ? 8 : 300, hw = spatial ? 36 : 1;
  const size_t size = static_cast<size_t>(n * c * hw), cs = static_cast<size_t>(c);
  auto x = uniform(size, -3, 5, 161);
  auto dy = uniform(size, -1, 1, 162);
  auto gamma = uniform(cs, 0.5f, 1.5f, 163);
  auto beta = uniform(cs, -1, 1, 164);
  BnResults r{nan_vector(size),
              nan_vector(cs),
              nan_vector(cs),
              std::vector<float>(cs, 0.0f),
              std::vector<float>(cs, 1.0f),
              nan_vector(size),
              nan_vector(cs),
              nan_vector(cs)};
  const auto t = [&](std::vector<float>& v) {
    return spatial ? view(v, {n, c, 6, 6}) : view(v, {n, c});
  };
  be.batchnorm_forward_train(t(x), view(gamma, {c}), view(beta, {c}), view(r.rm, {c}),
                             view(r.rv, {c}), t(r.y), view(r.mean, {c}), view(r.invstd, {c}),
                             BatchNormParams{});
  be.batchnorm_backward(t(x), t(dy), view(gamma, {c}), view(r.mean, {c}), view(r.invstd, {c}),
                        t(r.dx), view(r.dgamma, {c}), view(r.dbeta, {c}));
  return r;
}

void check_same(const BnResults& a, const BnResults& b) {
  CHECK(bit_identical(a.y, b.y));
  CHECK(bit_identical(a.mean, b.mean));
  CHECK(bit_identical(a.invstd, b.invstd));
  CHECK(bit_identical(a.rm, b.rm));
  CHECK(bit_identical(a.rv, b.rv));
  CHECK(bit_identical(a.dx, b.dx));
  CHECK(bit_identical(a.dgamma, b.dgamma));
  CHECK(bit_identical(a.dbeta, b.dbeta));
  CHECK(count_non_finite(a.y) + count_non_finite(a.dx) + count_non_finite(a.dgamma) == 0);
}

// Runs f with OpenMP limited to `threads`, restoring the previous limit.
template <class F>
auto with_threads(int threads, F f) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto result = f();
  omp_set_num_threads(before);
  return result;
}

struct LinearResults {
  std::vector<float> y, dx, dw, db;
};

LinearResults linear_once(Backend& be) {
  const int64_t batch = 128, in = 784, out = 200;
  auto x = uniform(static_cast<size_t>(batch * in), -1, 1, 171);
  auto w = uniform(static_cast<size_t>(out * in), -1, 1, 172);
  auto b = uniform(static_cast<size_t>(out), -1, 1, 173);
  auto dy = uniform(static_cast<size_t>(batch * out), -1, 1, 174);
  LinearResults r{nan_vector(dy.size()), nan_vector(x.size()), nan_vector(w.size()),
                  nan_vector(b.size())};
  be.linear_forward(view(x, {batch, in}), view(w, {out, in}), view(b, {out}),
                    view(r.y, {batch, out}));
  be.linear_backward(view(x, {batch, in}), view(w, {out, in}), view(dy, {batch, out}),
                     view(r.dx, {batch, in}), view(r.dw, {out, in}), view(r.db, {out}));
  return r;
}

}  // namespace

TEST_CASE("cpu linear is bit-identical run to run", "[cpu][determinism]") {
  auto be = make_cpu_backend();
  const LinearResults first = linear_once(*be);
  for (int threads : {0, 1, 3}) {
    CAPTURE(threads);
    const LinearResults again =
        threads == 0 ? linear_once(*be) : with_threads(threads, [&] { return linear_once(*be); });
    CHECK(bit_identical(first.y, again.y));
    CHECK(bit_identical(first.dx, again.dx));
    CHECK(bit_identical(first.dw, again.dw));
    CHECK(bit_identical(first.db, again.db));
  }
  CHECK(count_non_finite(first.y) + count_non_finite(first.dx) + count_non_finite(first.dw) == 0);
}

TEST_CASE("cpu conv2d backward is bit-identical run to run", "[cpu][determinism]") {
  auto be = make_cpu_backend();
  const ConvGrads first = conv_backward_once(*be);
  const ConvGrads second = conv_backward_once(*be);
  CHECK(bit_identical(first.dx, second.dx));
  CHECK(bit_identical(first.dw, second.dw));
  CHECK(bit_identical(first.db, second.db));
  CHECK(count_non_finite(first.dx) + count_non_finite(first.dw) + count_non_finite(first.db) == 0);

  const ConvGrads one = with_threads(1, [&] { return conv_backward_once(*be); });
  const ConvGrads three = with_threads(3, [&] { return conv_backward_once(*be); });
  CHECK(bit_identical(one.dw, first.dw));
  CHECK(bit_identical(one.db, first.db));
  CHECK(bit_identical(three.dw, first.dw));
  CHECK(bit_identical(three.dx, first.dx));
}

TEST_CASE("cpu batchnorm is bit-identical run to run", "[cpu][determinism]") {
  auto be = make_cpu_backend();
  for (bool spatial : {false, true}) {
    CAPTURE(spatial);
    const BnResults first = batchnorm_once(*be, spatial);
    check_same(first, batchnorm_once(*be, spatial));
    check_same(first, with_threads(1, [&] { return batchnorm_once(*be, spatial); }));
    check_same(first, with_threads(3, [&] { return batchnorm_once(*be, spatial); }));
  }
}

}  // namespace emnist::test
