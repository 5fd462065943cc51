// With every option added for the tuned recipes off (train.label_smoothing, train.class_weights,
// train.ema, [augment]), training gives the tensors that the engine gave before those options
// existed: commit 324357c trained the e2e setup (MLP, batch norm, dropout) to the digest below.
// Left out of the config or written as their off values, the same tensors.
//
// The CPU backend's products come from oneDNN, whose kernels (and so the last bits of every sum)
// follow the CPU's instruction set: the digest was taken on an AVX-512 machine, and the check is
// skipped on one without AVX-512.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <sstream>

#include "e2e/run_cli.hpp"
#include "emnist/config.hpp"
#include "emnist/safetensors.hpp"

using namespace emnist;
using namespace emnist::e2e;

namespace {

// FNV-1a over every tensor's name, shape and value bytes, in name order.
uint64_t tensors_digest(const std::filesystem::path& file) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto add = [&](const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ull;
    }
  };
  for (const auto& [name, t] : read_safetensors(file)) {
    add(name.data(), name.size());
    add(t.shape.data(), sizeof(int64_t) * t.shape.size());
    add(t.values.data(), sizeof(float) * t.values.size());
  }
  return h;
}

bool has_avx512() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::stringstream text;
  text << cpuinfo.rdbuf();
  return text.str().find(" avx512f") != std::string::npos;
}

// The config without the keys that 324357c did not know, which it would refuse.
std::string without_new_keys(std::string text) {
  for (const char* key : {"\nlabel_smoothing = ", "\nclass_weights = ", "\nema = "}) {
    const size_t at = text.find(key);
    if (at != std::string::npos) text.erase(at, text.find('\n', at + 1) - at);
  }
  const size_t augment = text.find("\n[augment]\n");
  if (augment != std::string::npos) text.erase(augment);
  return text + "\n";
}

constexpr uint64_t kDigestAt324357c = 0xaa9e6f2f4dce151bull;

}  // namespace

TEST_CASE("e2e: with the tuning options off, training gives the tensors of commit 324357c",
          "[e2e][baseline]") {
  test::TempDir dir{"emnist-baseline"};
  const auto full = write_setup(dir);
  const auto bare = dir / "bare.toml";
  test::write_file(bare, without_new_keys(test::read_text(full)));
  // The full config states every option, off.
  const Config c = load_config(full);
  REQUIRE(c.train.label_smoothing == 0);
  REQUIRE(c.train.ema == 0);
  REQUIRE(c.train.class_weights == ClassWeighting::none);
  REQUIRE_FALSE(c.augment.active());

  check_succeeded(train(bare, dir / "bare"));
  check_succeeded(train(full, dir / "full"));
  const uint64_t bare_digest = tensors_digest(dir / "bare" / "model.safetensors");
  CHECK(tensors_digest(dir / "full" / "model.safetensors") == bare_digest);
  if (!has_avx512()) {
    WARN("no AVX-512 here: oneDNN's other kernels round differently; the digest is not compared");
    return;
  }
  INFO("digest " << std::hex << bare_digest);
  CHECK(bare_digest == kDigestAt324357c);
}
