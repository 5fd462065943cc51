#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "emnist/error.hpp"
#include "emnist/model.hpp"
#include "emnist/safetensors.hpp"
#include "support/support.hpp"
#include "support/train_fixtures.hpp"

using namespace emnist;

namespace {

uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return n;
}

TensorMap small_tensors() {
  TensorMap t;
  t["layers.0.weight"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  t["layers.0.bias"] = {{2}, {-0.5f, 0.25f}};
  t["layers.1.running_var"] = {{1}, {1e-30f}};
  return t;
}

}  // namespace

TEST_CASE("safetensors: the layout is the documented one", "[safetensors]") {
  const std::string bytes = encode_safetensors(small_tensors());
  const uint64_t n = header_length(bytes);
  CHECK((8 + n) % 8 == 0);
  const std::string header = bytes.substr(8, n);
  // Padding is spaces after the JSON, which parses as it is.
  const auto j = nlohmann::json::parse(header);
  CHECK(header.find_last_not_of(' ') == j.dump().size() - 1);
  // Keys sorted, data in key order: layers.0.bias, layers.0.weight, layers.1.running_var.
  CHECK(j["layers.0.bias"]["dtype"] == "F32");
  CHECK(j["layers.0.bias"]["shape"] == nlohmann::json::array({2}));
  CHECK(j["layers.0.bias"]["data_offsets"] == nlohmann::json::array({0, 8}));
  CHECK(j["layers.0.weight"]["data_offsets"] == nlohmann::json::array({8, 32}));
  CHECK(j["layers.1.running_var"]["data_offsets"] == nlohmann::json::array({32, 36}));
  CHECK(bytes.size() == 8 + n + 36);
  float first = 0;
  std::memcpy(&first, bytes.data() + 8 + n + 8, 4);
  CHECK(first == 1.0f);  // layers.0.weight[0]
}

TEST_CASE("safetensors: round trip, and the same weights give the same bytes", "[safetensors]") {
  const TensorMap t = small_tensors();
  const std::string bytes = encode_safetensors(t);
  CHECK(encode_safetensors(t) == bytes);
  const TensorMap back = decode_safetensors(bytes, "x");
  REQUIRE(back.size() == t.size());
  for (const auto& [name, tensor] : t) {
    CHECK(back.at(name).shape == tensor.shape);
    CHECK(back.at(name).values == tensor.values);
  }

  // A whole model: two models initialised alike write identical files, and loading one file into a
  // fresh model reproduces every tensor.
  test::TempDir dir;
  auto backend = make_cpu_backend();
  ModelConfig config = train_test::small_cnn();
  auto a = make_model(*backend, config, 28, 28, 5, 2, 9);
  auto b = make_model(*backend, config, 28, 28, 5, 2, 9);
  a->initialize(9);
  b->initialize(9);
  write_safetensors(dir / "a.safetensors", a->state_dict());
  write_safetensors(dir / "b.safetensors", b->state_dict());
  CHECK(test::read_text(dir / "a.safetensors") == test::read_text(dir / "b.safetensors"));
  auto c = make_model(*backend, config, 28, 28, 5, 2, 1);
  c->load_state_dict(read_safetensors(dir / "a.safetensors"), "a.safetensors");
  CHECK(encode_safetensors(c->state_dict()) == test::read_text(dir / "a.safetensors"));
  const TensorMap names = c->state_dict();
  CHECK(names.count("layers.0.weight") == 1);
  CHECK(names.count("layers.1.running_mean") == 1);
  CHECK(names.count("layers.1.running_var") == 1);
}

TEST_CASE("safetensors: a truncated file is a user error naming the file", "[safetensors]") {
  test::TempDir dir;
  const std::string bytes = encode_safetensors(small_tensors());
  const auto path = dir / "model.safetensors";
  test::write_file(path, bytes.substr(0, bytes.size() - 4));
  REQUIRE_THROWS_AS(read_safetensors(path), UserError);
  REQUIRE_THROWS_WITH(read_safetensors(path),
                      Catch::Contains(path.string()) && Catch::Contains("truncated"));
  test::write_file(path, bytes.substr(0, 5));
  REQUIRE_THROWS_WITH(read_safetensors(path),
                      Catch::Contains(path.string()) && Catch::Contains("truncated"));
  test::write_file(path, bytes.substr(0, 20));  // inside the header
  REQUIRE_THROWS_WITH(read_safetensors(path),
                      Catch::Contains(path.string()) && Catch::Contains("truncated"));
  REQUIRE_THROWS_WITH(read_safetensors(dir / "absent.safetensors"),
                      Catch::Contains("absent.safetensors"));
}

TEST_CASE("safetensors: bad header JSON and bad entries are user errors", "[safetensors]") {
  test::TempDir dir;
  const auto path = dir / "model.safetensors";
  std::string bytes = encode_safetensors(small_tensors());
  bytes[8] = 'x';  // the opening brace
  test::write_file(path, bytes);
  REQUIRE_THROWS_WITH(read_safetensors(path),
                      Catch::Contains(path.string()) && Catch::Contains("bad header JSON"));

  bytes = encode_safetensors(small_tensors());
  const size_t at = bytes.find("F32");
  bytes.replace(at, 3, "F16");
  test::write_file(path, bytes);
  REQUIRE_THROWS_WITH(read_safetensors(path), Catch::Contains(path.string()) &&
                                                  Catch::Contains("F16") &&
                                                  Catch::Contains("layers.0.bias"));

  // One byte too many after the last tensor.
  test::write_file(path, encode_safetensors(small_tensors()) + "x");
  REQUIRE_THROWS_WITH(read_safetensors(path), Catch::Contains(path.string()));
}

TEST_CASE("safetensors: a model of another shape is refused with the tensor named",
          "[safetensors]") {
  test::TempDir dir;
  auto backend = make_cpu_backend();
  ModelConfig config = train_test::small_mlp();
  auto model = make_model(*backend, config, 28, 28, 4, 2, 1);
  model->initialize(1);
  const auto path = dir / "model.safetensors";
  write_safetensors(path, model->state_dict());

  config.hidden = {48, 32, 16};
  auto wider = make_model(*backend, config, 28, 28, 4, 2, 1);
  REQUIRE_THROWS_AS(wider->load_state_dict(read_safetensors(path), path.string()), UserError);
  REQUIRE_THROWS_WITH(wider->load_state_dict(read_safetensors(path), path.string()),
                      Catch::Contains(path.string()) && Catch::Contains("layers.0.weight") &&
                          Catch::Contains("[64, 784]") && Catch::Contains("[48, 784]"));

  auto other_classes = make_model(*backend, train_test::small_mlp(), 28, 28, 5, 2, 1);
  REQUIRE_THROWS_WITH(other_classes->load_state_dict(read_safetensors(path), path.string()),
                      Catch::Contains("layers.9.weight") && Catch::Contains("[5, 16]"));

  TensorMap extra = model->state_dict();
  extra["layers.99.weight"] = {{1}, {0.0f}};
  REQUIRE_THROWS_WITH(model->load_state_dict(extra, "extra.safetensors"),
                      Catch::Contains("extra.safetensors") && Catch::Contains("unexpected") &&
                          Catch::Contains("layers.99.weight"));
  TensorMap missing = model->state_dict();
  missing.erase("layers.1.running_var");
  REQUIRE_THROWS_WITH(model->load_state_dict(missing, "missing.safetensors"),
                      Catch::Contains("missing") && Catch::Contains("layers.1.running_var"));
}

TEST_CASE("safetensors: a shape claiming more elements than the data holds is a user error",
          "[safetensors]") {
  // Found by tests/fuzz/fuzz_safetensors: 2^62 + 1 elements of 4 bytes wrap to 4 bytes in 64 bits,
  // so the size check passed and the reader asked for 16 EiB (std::length_error, not UserError).
  test::TempDir dir;
  const auto path = dir / "huge.safetensors";
  const auto file_with = [](const std::string& shape, const std::string& offsets,
                            const std::string& data) {
    std::string json =
        R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}";
    json.append((8 - json.size() % 8) % 8, ' ');
    std::string bytes(8, '\0');
    const uint64_t n = json.size();
    std::memcpy(bytes.data(), &n, 8);
    return bytes + json + data;
  };
  test::write_file(path, file_with("[4611686018427387905]", "[0,4]", std::string(4, '\0')));
  REQUIRE_THROWS_AS(read_safetensors(path), UserError);
  REQUIRE_THROWS_WITH(
      read_safetensors(path),
      Catch::Contains(path.string()) && Catch::Contains("tensor 'w': 4 bytes of data for shape"));
  // 2^32 x 2^32 overflows the element count itself.
  test::write_file(path, file_with("[4294967296,4294967296]", "[0,4]", std::string(4, '\0')));
  REQUIRE_THROWS_WITH(read_safetensors(path), Catch::Contains("tensor 'w': 4 bytes of data"));
  // A zero dimension still means no elements.
  test::write_file(path, file_with("[4294967296,0]", "[0,0]", ""));
  REQUIRE(read_safetensors(path).at("w").values.empty());
}
