// The nchw16c layout (tensor.hpp) on the CPU backend: every op that takes it gives, once its
// outputs are converted back to plain, the bits of the same op on plain tensors (NaN-poisoned
// outputs, so an element left unwritten shows), and every other op, every op on CUDA, and a view
// that cannot be nchw16c are refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cpu/op_fixtures.hpp"
#include "emnist/backend.hpp"
#include "emnist/op_checks.hpp"

namespace emnist::test {
namespace {

constexpr Layout kPlain = Layout::plain;
constexpr Layout kBlocked = Layout::nchw16c;

struct Dims {
  int64_t n, c, h, w;
  size_t size() const { return static_cast<size_t>(n * c * h * w); }
};

// A [N, C, H, W] view of memory in the given layout.
Tensor view_as(std::vector<float>& memory, Layout layout, const Dims& d) {
  Tensor t(memory.data(), {d.n, d.c, d.h, d.w});
  t.layout = layout;
  return t;
}

Tensor nchw16c_view(std::vector<float>& memory, const Dims& d) {
  return view_as(memory, kBlocked, d);
}

// The memory of a tensor with these plain values, in `layout`; and back.
std::vector<float> store(const std::vector<float>& plain, Layout layout, const Dims& d) {
  return layout == kPlain ? plain : to_nchw16c(plain, d.n, d.c, d.h, d.w);
}
std::vector<float> load(const std::vector<float>& memory, Layout layout, const Dims& d) {
  return layout == kPlain ? memory : to_plain(memory, d.n, d.c, d.h, d.w);
}

const char* name(Layout layout) { return layout == kPlain ? "plain" : "nchw16c"; }

// How `got` differs from `want` bitwise: the count, and the first such element.
std::string difference(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return "sizes differ";
  size_t count = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && count++ == 0) first = i;
  }
  if (count == 0) return "none";
  std::ostringstream out;
  out.precision(9);
  out << count << " of " << got.size() << " elements differ, first at plain index " << first << ": "
      << got[first] << " against " << want[first];
  return out.str();
}

// `got` holds the bits of the plain run's `want`, all of them written (finite).
void expect_bits(const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what) {
  INFO(what << ": " << difference(got, want));
  CHECK(bit_identical(got, want));
  CHECK(count_non_finite(want) == 0);
}

struct ConvCase {
  int64_t n, c, h, w, o, k;
  int stride, pad;
  Dims x() const { return {n, c, h, w}; }
  Dims y() const { return {n, o, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1}; }
};

// Case s with bias, forward and backward (dx, dw, db; and accumulating into a random dx), on plain
// tensors, then with x/dx and y/dy in each of the given layouts.
void check_conv(Backend& be, const ConvCase& s, const std::vector<std::pair<Layout, Layout>>& cases,
                uint32_t seed) {
  CAPTURE(s.n, s.c, s.h, s.w, s.o, s.k, s.stride, s.pad);
  const Dims xd = s.x(), yd = s.y();
  const auto x = uniform(xd.size(), -1, 1, seed), dy = uniform(yd.size(), -1, 1, seed + 1);
  const auto dx_start = uniform(xd.size(), -1, 1, seed + 2);
  auto w = uniform(static_cast<size_t>(s.o * s.c * s.k * s.k), -0.5f, 0.5f, seed + 3);
  auto b = uniform(static_cast<size_t>(s.o), -1, 1, seed + 4);
  const Tensor wt(w.data(), {s.o, s.c, s.k, s.k}), bt(b.data(), {s.o});
  const Conv2dParams p{s.stride, s.pad, false};
  Conv2dParams acc = p;
  acc.accumulate_dx = true;

  struct Out {
    std::vector<float> y, dx, dw, db, dx_acc, dw_acc, db_acc;
  };
  const auto run = [&](Layout lx, Layout ly) {
    auto xm = store(x, lx, xd), dym = store(dy, ly, yd);
    Out o;
    auto y = nan_vector(yd.size());
    be.conv2d_forward(view_as(xm, lx, xd), wt, bt, view_as(y, ly, yd), p);
    o.y = load(y, ly, yd);
    auto dx = nan_vector(xd.size()), dw = nan_vector(w.size()), db = nan_vector(b.size());
    be.conv2d_backward(view_as(xm, lx, xd), wt, view_as(dym, ly, yd), view_as(dx, lx, xd),
                       Tensor(dw.data(), {s.o, s.c, s.k, s.k}), Tensor(db.data(), {s.o}), p);
    o.dx = load(dx, lx, xd);
    o.dw = dw;
    o.db = db;
    auto dx_acc = store(dx_start, lx, xd);
    dw = nan_vector(w.size());
    db = nan_vector(b.size());
    be.conv2d_backward(view_as(xm, lx, xd), wt, view_as(dym, ly, yd), view_as(dx_acc, lx, xd),
                       Tensor(dw.data(), {s.o, s.c, s.k, s.k}), Tensor(db.data(), {s.o}), acc);
    o.dx_acc = load(dx_acc, lx, xd);
    o.dw_acc = dw;
    o.db_acc = db;
    return o;
  };
  const Out ref = run(kPlain, kPlain);
  for (const auto& [lx, ly] : cases) {
    INFO("x/dx " << name(lx) << ", y/dy " << name(ly));
    const Out got = run(lx, ly);
    expect_bits(got.y, ref.y, "y");
    expect_bits(got.dx, ref.dx, "dx");
    expect_bits(got.dw, ref.dw, "dw");
    expect_bits(got.db, ref.db, "db");
    expect_bits(got.dx_acc, ref.dx_acc, "dx accumulated");
    expect_bits(got.dw_acc, ref.dw_acc, "dw (accumulating dx)");
    expect_bits(got.db_acc, ref.db_acc, "db (accumulating dx)");
  }
}

}  // namespace

TEST_CASE("nchw16c helpers put elements where oneDNN's nChw16c does", "[cpu][nchw16c]") {
  // N=1, C=32, H=1, W=2 with plain value = plain index ((c * 1 + h) * 2 + w).
  std::vector<float> plain(64);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<float>(i);
  const auto blocked = to_nchw16c(plain, 1, 32, 1, 2);
  // (0, 17, 0, 1): block 1, position 1, lane 1: (1 * 2 + 1) * 16 + 1 = 49; plain 17 * 2 + 1 = 35.
  CHECK(blocked[49] == 35.0f);
  CHECK(blocked[0] == 0.0f);    // (0, 0, 0, 0)
  CHECK(blocked[1] == 2.0f);    // (0, 1, 0, 0): the next channel, plain 1 * 2
  CHECK(blocked[16] == 1.0f);   // (0, 0, 0, 1): the next position, plain 1
  CHECK(blocked[15] == 30.0f);  // (0, 15, 0, 0)
  CHECK(blocked[32] == 32.0f);  // (0, 16, 0, 0): the second block
  CHECK(blocked[63] == 63.0f);  // (0, 31, 0, 1)
  CHECK(to_plain(blocked, 1, 32, 1, 2) == plain);

  // Samples are whole blocks of C * H * W: (1, 20, 2, 3) of [2, 32, 3, 5] lies at
  // 32 * 15 + (1 * 15 + 2 * 5 + 3) * 16 + 4 = 932.
  const Dims d{2, 32, 3, 5};
  CHECK(nchw16c_index(d.c, d.h, d.w, 1, 20, 2, 3) == 932u);
  const auto x = uniform(d.size(), -1, 1, 1);
  const auto xb = to_nchw16c(x, d.n, d.c, d.h, d.w);
  CHECK(xb[932] == x[static_cast<size_t>(((1 * 32 + 20) * 3 + 2) * 5 + 3)]);
  CHECK(xb != x);
  CHECK(to_plain(xb, d.n, d.c, d.h, d.w) == x);
  CHECK_THROWS_AS(to_nchw16c(std::vector<float>(8), 1, 8, 1, 1), std::invalid_argument);

  const Tensor t = nchw16c_view(plain, Dims{1, 32, 1, 2});
  CHECK(t.layout == Layout::nchw16c);
  CHECK(t.rank == 4);
  CHECK(t.dim(1) == 32);
}

TEST_CASE("nchw16c conv2d gives the plain layout's bits", "[cpu][nchw16c]") {
  auto be = make_cpu_backend();
  const std::vector<std::pair<Layout, Layout>> all = {
      {kBlocked, kPlain}, {kPlain, kBlocked}, {kBlocked, kBlocked}};
  // 3x3 pad 1 at stride 1 and 2, 1x1 at stride 2 (a projection); N = 20: a full group of 16
  // samples and a last group of 4.
  const std::vector<ConvCase> cases = {
      {3, 16, 5, 7, 32, 3, 1, 1},  {20, 32, 5, 7, 16, 3, 2, 1}, {1, 48, 4, 4, 32, 1, 2, 0},
      {20, 16, 4, 4, 48, 1, 2, 0}, {3, 32, 4, 4, 48, 3, 1, 1},  {20, 16, 28, 28, 16, 3, 1, 1},
  };
  uint32_t seed = 100;
  for (const ConvCase& s : cases) check_conv(*be, s, all, seed += 10);
  // The stem: one input channel (plain only) into 32 nchw16c channels.
  check_conv(*be, ConvCase{20, 1, 28, 28, 32, 3, 1, 1}, {{kPlain, kBlocked}}, 200);
  check_conv(*be, ConvCase{3, 1, 5, 7, 16, 3, 2, 1}, {{kPlain, kBlocked}}, 210);
}

TEST_CASE("nchw16c batch norm gives the plain layout's bits", "[cpu][nchw16c]") {
  auto be = make_cpu_backend();
  struct Variant {
    bool activate;
    ActivationKind kind;
  };
  const std::vector<Variant> variants = {{false, ActivationKind::relu},
                                         {true, ActivationKind::relu},
                                         {true, ActivationKind::leaky_relu},
                                         {true, ActivationKind::elu}};
  uint32_t seed = 300;
  for (const Dims d :
       {Dims{3, 16, 5, 7}, Dims{20, 32, 4, 4}, Dims{1, 48, 5, 7}, Dims{3, 16, 28, 28}}) {
    for (const Variant v : variants) {
      for (const bool residual : {false, true}) {
        CAPTURE(d.n, d.c, d.h, d.w, v.activate, static_cast<int>(v.kind), residual);
        seed += 10;
        const size_t c = static_cast<size_t>(d.c);
        const auto x = uniform(d.size(), -2, 3, seed), r = uniform(d.size(), -1, 1, seed + 1);
        const auto dy = uniform(d.size(), -1, 1, seed + 2);
        auto gamma = uniform(c, 0.5f, 1.5f, seed + 3), beta = uniform(c, -1, 1, seed + 4);
        const auto rm0 = uniform(c, -0.5f, 0.5f, seed + 5), rv0 = uniform(c, 0.5f, 2, seed + 6);
        const Tensor gt(gamma.data(), {d.c}), bt(beta.data(), {d.c});

        struct Out {
          std::vector<float> y, save_mean, save_invstd, rm, rv, y_infer, dx, dgamma, dbeta, dx_act,
              dgamma_act, dbeta_act;
        };
        const auto run = [&](Layout l) {
          auto xm = store(x, l, d), rmem = store(r, l, d), dym = store(dy, l, d);
          BatchNormParams p;
          p.momentum = 0.1f;
          p.eps = 1e-5f;
          p.activate = v.activate;
          p.activation.kind = v.kind;
          p.activation.leaky_slope = 0.1f;
          p.activation.elu_alpha = 0.8f;
          if (residual) p.residual = view_as(rmem, l, d);
          Out o;
          auto y = nan_vector(d.size());
          o.save_mean = nan_vector(c);
          o.save_invstd = nan_vector(c);
          o.rm = rm0;
          o.rv = rv0;
          be->batchnorm_forward_train(view_as(xm, l, d), gt, bt, Tensor(o.rm.data(), {d.c}),
                                      Tensor(o.rv.data(), {d.c}), view_as(y, l, d),
                                      Tensor(o.save_mean.data(), {d.c}),
                                      Tensor(o.save_invstd.data(), {d.c}), p);
          o.y = load(y, l, d);
          // Inference with the starting running statistics (not this run's update).
          auto rm = rm0, rv = rv0, yi = nan_vector(d.size());
          be->batchnorm_forward_infer(view_as(xm, l, d), gt, bt, Tensor(rm.data(), {d.c}),
                                      Tensor(rv.data(), {d.c}), view_as(yi, l, d), p);
          o.y_infer = load(yi, l, d);
          const Tensor sm(o.save_mean.data(), {d.c}), si(o.save_invstd.data(), {d.c});
          auto dx = nan_vector(d.size());
          o.dgamma = nan_vector(c);
          o.dbeta = nan_vector(c);
          be->batchnorm_backward(view_as(xm, l, d), view_as(dym, l, d), gt, sm, si,
                                 view_as(dx, l, d), Tensor(o.dgamma.data(), {d.c}),
                                 Tensor(o.dbeta.data(), {d.c}));
          o.dx = load(dx, l, d);
          if (v.activate && !residual) {
            auto dxa = nan_vector(d.size());
            o.dgamma_act = nan_vector(c);
            o.dbeta_act = nan_vector(c);
            be->batchnorm_activation_backward(
                view_as(xm, l, d), view_as(y, l, d), view_as(dym, l, d), gt, bt, sm, si,
                view_as(dxa, l, d), Tensor(o.dgamma_act.data(), {d.c}),
                Tensor(o.dbeta_act.data(), {d.c}), p);
            o.dx_act = load(dxa, l, d);
          }
          return o;
        };
        const Out ref = run(kPlain), got = run(kBlocked);
        expect_bits(got.y, ref.y, "y (training)");
        expect_bits(got.save_mean, ref.save_mean, "save_mean");
        expect_bits(got.save_invstd, ref.save_invstd, "save_invstd");
        expect_bits(got.rm, ref.rm, "running_mean");
        expect_bits(got.rv, ref.rv, "running_var");
        expect_bits(got.y_infer, ref.y_infer, "y (inference)");
        expect_bits(got.dx, ref.dx, "dx");
        expect_bits(got.dgamma, ref.dgamma, "dgamma");
        expect_bits(got.dbeta, ref.dbeta, "dbeta");
        if (v.activate && !residual) {
          expect_bits(got.dx_act, ref.dx_act, "dx (with the activation)");
          expect_bits(got.dgamma_act, ref.dgamma_act, "dgamma (with the activation)");
          expect_bits(got.dbeta_act, ref.dbeta_act, "dbeta (with the activation)");
        }
      }
    }
  }
}

TEST_CASE("nchw16c activations give the plain layout's bits", "[cpu][nchw16c]") {
  auto be = make_cpu_backend();
  uint32_t seed = 500;
  for (const Dims d : {Dims{3, 16, 5, 7}, Dims{20, 32, 4, 4}, Dims{1, 48, 28, 28}}) {
    for (const ActivationKind kind :
         {ActivationKind::relu, ActivationKind::leaky_relu, ActivationKind::elu}) {
      CAPTURE(d.n, d.c, d.h, d.w, static_cast<int>(kind));
      seed += 10;
      Activation a;
      a.kind = kind;
      a.leaky_slope = 0.1f;
      a.elu_alpha = 0.8f;
      const auto x = uniform(d.size(), -2, 2, seed), dy = uniform(d.size(), -1, 1, seed + 1);
      struct Out {
        std::vector<float> y, y_in_place, dx;
      };
      const auto run = [&](Layout l) {
        auto xm = store(x, l, d), dym = store(dy, l, d), y = nan_vector(d.size());
        be->activation_forward(a, view_as(xm, l, d), view_as(y, l, d));
        auto dx = nan_vector(d.size());
        be->activation_backward(a, view_as(y, l, d), view_as(dym, l, d), view_as(dx, l, d));
        be->activation_forward(a, view_as(xm, l, d), view_as(xm, l, d));
        return Out{load(y, l, d), load(xm, l, d), load(dx, l, d)};
      };
      const Out ref = run(kPlain), got = run(kBlocked);
      expect_bits(got.y, ref.y, "y");
      expect_bits(got.y_in_place, ref.y, "y in place");
      expect_bits(got.dx, ref.dx, "dx");
    }
  }
}

TEST_CASE("nchw16c global average pooling gives the plain layout's bits", "[cpu][nchw16c]") {
  auto be = make_cpu_backend();
  uint32_t seed = 700;
  for (const Dims d : {Dims{3, 16, 5, 7}, Dims{20, 32, 4, 4}, Dims{1, 48, 28, 28}}) {
    CAPTURE(d.n, d.c, d.h, d.w);
    seed += 10;
    const auto x = uniform(d.size(), -2, 2, seed);
    auto dy = uniform(static_cast<size_t>(d.n * d.c), -1, 1, seed + 1);
    struct Out {
      std::vector<float> y, dx;
    };
    const auto run = [&](Layout l) {
      auto xm = store(x, l, d);
      Out o{nan_vector(static_cast<size_t>(d.n * d.c)), {}};
      be->global_avgpool_forward(view_as(xm, l, d), Tensor(o.y.data(), {d.n, d.c}));
      auto dx = nan_vector(d.size());
      be->global_avgpool_backward(Tensor(dy.data(), {d.n, d.c}), view_as(dx, l, d));
      o.dx = load(dx, l, d);
      return o;
    };
    const Out ref = run(kPlain), got = run(kBlocked);
    expect_bits(got.y, ref.y, "y");
    expect_bits(got.dx, ref.dx, "dx");
  }
}

TEST_CASE("nchw16c max-pooling gives the plain layout's bits", "[cpu][nchw16c]") {
  // x (and dx) nchw16c, y (and dy, and argmax, which lies as y) nchw16c or plain. Odd sizes drop a
  // row and a column; inputs with ties (few distinct values) check that the first maximum wins.
  auto be = make_cpu_backend();
  uint32_t seed = 900;
  for (const Dims d : {Dims{3, 16, 5, 7}, Dims{20, 32, 4, 4}, Dims{2, 48, 28, 28}}) {
    for (const bool ties : {false, true}) {
      CAPTURE(d.n, d.c, d.h, d.w, ties);
      seed += 10;
      std::vector<float> x = uniform(d.size(), -2, 2, seed);
      if (ties)
        for (float& v : x) v = static_cast<float>(static_cast<int>(v * 2.0f));
      const Dims p{d.n, d.c, d.h / 2, d.w / 2};
      const auto dy = uniform(p.size(), -1, 1, seed + 1);
      struct Out {
        std::vector<float> y, argmax, dx;
      };
      const auto run = [&](Layout in, Layout out) {
        auto xm = store(x, in, d), dym = store(dy, out, p), y = nan_vector(p.size());
        std::vector<int32_t> argmax(p.size(), -1);
        be->maxpool2d_forward(view_as(xm, in, d), view_as(y, out, p), argmax.data());
        auto dx = nan_vector(d.size());
        be->maxpool2d_backward(view_as(dym, out, p), argmax.data(), view_as(dx, in, d));
        std::vector<float> where(argmax.begin(), argmax.end());  // small integers: exact
        return Out{load(y, out, p), load(where, out, p), load(dx, in, d)};
      };
      const Out ref = run(kPlain, kPlain);
      for (const Layout out : {kBlocked, kPlain}) {
        CAPTURE(name(out));
        const Out got = run(kBlocked, out);
        expect_bits(got.y, ref.y, "y");
        expect_bits(got.argmax, ref.argmax, "argmax");
        expect_bits(got.dx, ref.dx, "dx");
      }
    }
  }
}

TEST_CASE("nchw16c is refused where an op does not take it", "[cpu][nchw16c]") {
  auto be = make_cpu_backend();
  std::vector<float> a(4096, 0.5f), b(4096, 0.5f), c(4096, 0.5f), d(4096, 0.5f);
  std::vector<int32_t> argmax(4096);
  StepScalars scalars;
  const Dims img{2, 16, 4, 4};
  const auto nchw16c = Catch::Contains("nchw16c");

  // Max-pooling's output may be nchw16c only where its input is.
  const Dims pooled{2, 16, 2, 2};
  CHECK_THROWS_WITH(
      be->maxpool2d_forward(view(a, {2, 16, 4, 4}), nchw16c_view(b, pooled), argmax.data()),
      Catch::Contains("only where the input side is"));
  CHECK_NOTHROW(
      be->maxpool2d_forward(nchw16c_view(a, img), nchw16c_view(b, pooled), argmax.data()));

  // Ops that take the plain layout only; each call is accepted with plain views.
  CHECK_THROWS_WITH(
      be->dropout_forward(nchw16c_view(a, img), nchw16c_view(b, img), 0.5f, 1, 0, &scalars),
      nchw16c);
  CHECK_NOTHROW(
      be->dropout_forward(view(a, {2, 16, 4, 4}), view(b, {2, 16, 4, 4}), 0.5f, 1, 0, &scalars));
  Tensor x2 = view(a, {2, 16});
  x2.layout = Layout::nchw16c;
  CHECK_THROWS_WITH(be->linear_forward(x2, view(b, {4, 16}), Tensor(), view(c, {2, 4})), nchw16c);
  CHECK_NOTHROW(be->linear_forward(view(a, {2, 16}), view(b, {4, 16}), Tensor(), view(c, {2, 4})));
  // An element-wise op that takes nchw16c, given a view that cannot be (rank 2).
  CHECK_THROWS_WITH(be->activation_forward(Activation{}, x2, x2), nchw16c);

  // Batch norm: x and y in different layouts.
  std::vector<float> gamma(16, 1.0f), beta(16), rm(16), rv(16, 1.0f), sm(16), si(16), kept(512);
  const auto vec = [](std::vector<float>& v) { return Tensor(v.data(), {16}); };
  const auto bn = [&](Tensor x, Tensor y, BatchNormParams p) {
    be->batchnorm_forward_train(x, vec(gamma), vec(beta), vec(rm), vec(rv), y, vec(sm), vec(si), p);
  };
  CHECK_THROWS_WITH(bn(nchw16c_view(a, img), view(b, {2, 16, 4, 4}), BatchNormParams{}),
                    Catch::Contains("differ in layout"));
  CHECK_NOTHROW(bn(nchw16c_view(a, img), nchw16c_view(b, img), BatchNormParams{}));
  // ... and dropout inside batch norm, which nchw16c does not take.
  BatchNormParams drop;
  drop.activate = true;
  drop.dropout.p = 0.5f;
  drop.dropout.seed = 1;
  drop.dropout.layer = 2;
  drop.dropout.scalars = &scalars;
  drop.dropout.activated = nchw16c_view(kept, img);
  CHECK_THROWS_AS(bn(nchw16c_view(a, img), nchw16c_view(b, img), drop), std::invalid_argument);
  drop.dropout.activated = view(kept, {2, 16, 4, 4});
  CHECK_THROWS_AS(bn(nchw16c_view(a, img), nchw16c_view(b, img), drop), std::invalid_argument);
  CHECK_NOTHROW(bn(view(a, {2, 16, 4, 4}), view(b, {2, 16, 4, 4}), drop));

  // conv2d: nchw16c needs C a multiple of 16 (here 8).
  const Dims eight{1, 8, 4, 4};
  CHECK_THROWS_WITH(be->conv2d_forward(view_as(a, kBlocked, eight), view(b, {8, 8, 3, 3}), Tensor(),
                                       view(c, {1, 8, 4, 4}), Conv2dParams{1, 1, false}),
                    nchw16c);
  CHECK_NOTHROW(be->conv2d_forward(view(a, {1, 8, 4, 4}), view(b, {8, 8, 3, 3}), Tensor(),
                                   view(c, {1, 8, 4, 4}), Conv2dParams{1, 1, false}));

  // CUDA: the shared checks refuse nchw16c before touching memory.
  Tensor cx(a.data(), {2, 16, 4, 4}, Device::cuda), cw(b.data(), {16, 16, 3, 3}, Device::cuda),
      cy(c.data(), {2, 16, 4, 4}, Device::cuda);
  CHECK_NOTHROW(
      checks::conv2d_forward(Device::cuda, cx, cw, Tensor(), cy, Conv2dParams{1, 1, false}));
  cx.layout = Layout::nchw16c;
  CHECK_THROWS_WITH(
      checks::conv2d_forward(Device::cuda, cx, cw, Tensor(), cy, Conv2dParams{1, 1, false}),
      Catch::Contains("CPU-only"));
  CHECK_THROWS_WITH(checks::activation_forward(Device::cuda, Activation{}, cx, cx),
                    Catch::Contains("CPU-only"));
}

}  // namespace emnist::test
