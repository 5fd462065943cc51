// The checkpoint file: written and read back exactly (doubles included), and every damaged form a
// one-line UserError naming the file; safetensors metadata; the atomic writer's midway hook.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "emnist/checkpoint.hpp"
#include "emnist/error.hpp"
#include "emnist/run_dir.hpp"
#include "support/support.hpp"

using namespace emnist;
using Catch::Matchers::Contains;

namespace {

Checkpoint sample_checkpoint() {
  Checkpoint c;
  c.config = "[train]\nepochs = 4\n";
  c.epoch = 2;
  c.step = 3;
  c.steps_per_epoch = 7;
  c.optimizer_steps = 17;
  c.train_seconds = 1.0 / 3.0;
  c.totals.classes = 2;
  c.totals.samples = 96;
  c.totals.loss_sum = 0.1 + 0.2;  // not a short decimal: must still read back exactly
  c.totals.confusion = {40, 8, 9, 39};
  for (int e = 1; e <= 2; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.lr = 1e-3 / e;
    r.train_loss = std::nextafter(0.7, 1.0);
    r.train_accuracy = 0.55;
    r.val_loss = std::numeric_limits<double>::quiet_NaN();  // no validation split
    r.val_accuracy = std::numeric_limits<double>::quiet_NaN();
    r.seconds = 0.5;
    r.samples_per_second = 1234.5;
    c.history.push_back(r);
  }
  c.model["layers.0.weight"] = {{2, 2}, {0.5f, -0.25f, 1e-30f, 3.0f}};
  c.model["layers.1.running_mean"] = {{2}, {0.1f, 0.2f}};
  c.state1 = {{6}, {1, 2, 3, 4, 5, 6}};
  c.state2 = {{6}, {6, 5, 4, 3, 2, 1}};
  return c;
}

}  // namespace

TEST_CASE("checkpoint: written and read back exactly", "[checkpoint]") {
  test::TempDir dir;
  const Checkpoint c = sample_checkpoint();
  write_checkpoint(dir.path(), c);
  const Checkpoint r = read_checkpoint(dir.path());
  CHECK(r.config == c.config);
  CHECK(r.epoch == 2);
  CHECK(r.step == 3);
  CHECK(r.steps_per_epoch == 7);
  CHECK(r.optimizer_steps == 17);
  CHECK(r.train_seconds == c.train_seconds);
  CHECK(r.totals.loss_sum == c.totals.loss_sum);
  CHECK(r.totals.samples == 96);
  CHECK(r.totals.confusion == c.totals.confusion);
  REQUIRE(r.history.size() == 2);
  CHECK(r.history[0].train_loss == c.history[0].train_loss);
  CHECK(r.history[1].lr == c.history[1].lr);
  CHECK(std::isnan(r.history[1].val_loss));
  CHECK(r.history[1].samples_per_second == 1234.5);
  CHECK(r.model.at("layers.0.weight").values == c.model.at("layers.0.weight").values);
  CHECK(r.model.at("layers.0.weight").shape == std::vector<int64_t>{2, 2});
  CHECK(r.model.at("layers.1.running_mean").values == c.model.at("layers.1.running_mean").values);
  CHECK(r.state1.values == c.state1.values);
  CHECK(r.state2.values == c.state2.values);
  // The same checkpoint gives the same bytes.
  const std::string first = test::read_text(checkpoint_file(dir.path()));
  write_checkpoint(dir.path(), r);
  CHECK(test::read_text(checkpoint_file(dir.path())) == first);
}

TEST_CASE("checkpoint: damaged metadata is a one-line error naming the file", "[checkpoint]") {
  test::TempDir dir;
  const std::string file = checkpoint_file(dir.path()).string();
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains(file + ": no checkpoint here"));

  auto expect = [&](Checkpoint c, const std::string& fragment) {
    write_checkpoint(dir.path(), c);
    REQUIRE_THROWS_MATCHES(
        read_checkpoint(dir.path()), UserError,
        Catch::Matchers::Message(file + ": not a usable checkpoint: " + fragment +
                                 " (start the run again, or resume from a "
                                 "copy of a good checkpoint)"));
  };
  Checkpoint c = sample_checkpoint();
  c.optimizer_steps = 18;
  expect(c, "its position (epoch, step, optimizer steps) does not add up");
  c = sample_checkpoint();
  c.step = 7;
  c.optimizer_steps = 21;
  expect(c, "its position (epoch, step, optimizer steps) does not add up");
  c = sample_checkpoint();
  c.totals.confusion.pop_back();
  expect(c, "'confusion' holds 3 counts for 2 classes");
  c = sample_checkpoint();
  c.history.pop_back();
  expect(c, "'history' has 1 epochs, the position says 2");

  // Metadata edited by hand.
  Metadata m;
  write_checkpoint(dir.path(), sample_checkpoint());
  TensorMap t = decode_safetensors(test::read_text(checkpoint_file(dir.path())), "x", &m);
  m["epoch"] = "two";
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains("'epoch' holds \"two\", not a number"));
  m.erase("epoch");
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains("no 'epoch' entry"));
  t.erase("optimizer.state1");
  t.erase("optimizer.state2");
  m["epoch"] = "2";
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains("no optimizer state"));
  t["extra"] = {{1}, {0.0f}};
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains("unexpected tensor 'extra'"));
}

TEST_CASE("safetensors metadata: strings only, read back, ignored by plain readers",
          "[safetensors]") {
  const TensorMap t{{"w", {{1}, {2.0f}}}};
  const std::string bytes =
      encode_safetensors(t, {{"format", "pt"}, {"note", "a \"quoted\" line\n"}});
  Metadata m;
  const TensorMap back = decode_safetensors(bytes, "x", &m);
  CHECK(back.at("w").values == std::vector<float>{2.0f});
  CHECK(m.at("format") == "pt");
  CHECK(m.at("note") == "a \"quoted\" line\n");
  CHECK(decode_safetensors(bytes, "x").size() == 1);
  // The header length is followed by JSON: a number where a string belongs is an error.
  std::string json =
      R"({"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(file.data(), &length, 8);
  file += json + std::string(4, '\0');
  REQUIRE_THROWS_WITH(
      decode_safetensors(file, "f.safetensors"),
      "f.safetensors: not a valid safetensors file: __metadata__ 'epoch' is not a string");
}

TEST_CASE("write_file_atomic: the midway hook sees half the bytes in the temporary file only",
          "[run_dir]") {
  test::TempDir dir;
  const auto path = dir / "file.bin";
  test::write_file(path, "old");
  const std::string bytes(1001, 'x');
  size_t calls = 0;
  write_file_atomic(path, bytes, [&] {
    ++calls;
    CHECK(test::read_text(path) == "old");  // the final name still holds the previous file
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      if (entry.path() != path) CHECK(std::filesystem::file_size(entry.path()) == 500);
  });
  CHECK(calls == 1);
  CHECK(test::read_text(path) == bytes);
  // A throwing hook (as a write failure would) leaves the old file under the final name.
  CHECK_THROWS(write_file_atomic(path, "new", [] { throw UserError("stop"); }));
  CHECK(test::read_text(path) == bytes);
}

TEST_CASE("checkpoint: history records from before balanced accuracy and macro F1 still read",
          "[checkpoint]") {
  test::TempDir dir;
  write_checkpoint(dir.path(), sample_checkpoint());
  Metadata m;
  TensorMap t = decode_safetensors(test::read_text(checkpoint_file(dir.path())), "x", &m);
  // The 8 fields of each record that older checkpoints wrote.
  std::string old_history;
  for (const EpochRecord& r : sample_checkpoint().history) {
    if (!old_history.empty()) old_history += ';';
    old_history +=
        fmt::format("{},{},{},{},{},{},{},{}", r.epoch, r.lr, r.train_loss, r.train_accuracy,
                    r.val_loss, r.val_accuracy, r.seconds, r.samples_per_second);
  }
  m["history"] = old_history;
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  const Checkpoint c = read_checkpoint(dir.path());
  REQUIRE(c.history.size() == sample_checkpoint().history.size());
  CHECK(c.history[1].train_loss == sample_checkpoint().history[1].train_loss);
  CHECK(std::isnan(c.history[0].val_balanced_accuracy));
  CHECK(std::isnan(c.history[0].val_macro_f1));
  // Another count of fields is refused.
  m["history"] = "1,2,3";
  test::write_file(checkpoint_file(dir.path()), encode_safetensors(t, m));
  REQUIRE_THROWS_WITH(read_checkpoint(dir.path()), Contains("without 8 or 10 fields"));
}
