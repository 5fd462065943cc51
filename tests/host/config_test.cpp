#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "emnist/config.hpp"
#include "emnist/error.hpp"
#include "support/support.hpp"

using Catch::Matchers::Contains;
using emnist::UserError;

TEST_CASE("an empty config gives DESIGN.md's defaults", "[config][smoke]") {
  const auto c = emnist::parse_config("", "empty");
  CHECK(c.data.dataset == "emnist-balanced");
  CHECK(c.data.resolved_dir() == "data/emnist");
  CHECK(choice_name(c.data.split) == "official");
  CHECK(c.data.val_fraction == 0.1);
  CHECK(c.data.test_fraction == 0.2);
  CHECK(choice_name(c.model.kind) == "cnn");
  CHECK(c.model.hidden_or_default() == std::vector<int>{256});
  CHECK(c.model.dropout_or_default() == 0.3);
  CHECK(c.model.conv.size() == 6);
  CHECK(c.train.epochs == 10);
  CHECK(c.train.batch_size == 128);
  CHECK(choice_name(c.train.optimizer) == "adam");
  CHECK(c.train.lr == 1e-3);
  CHECK(choice_name(c.train.schedule) == "cosine");
  CHECK(c.train.cuda_graph);
  CHECK_FALSE(c.train.deterministic);
  CHECK(c.train.log_every == 50);

  const auto mlp = emnist::parse_config("[model]\nkind = \"mlp\"\n", "mlp");
  CHECK(mlp.model.hidden_or_default() == std::vector<int>{512, 256, 128});
  CHECK(mlp.model.dropout_or_default() == 0.2);
  const auto fashion = emnist::parse_config("[data]\ndataset = \"fashion-mnist\"\n", "f");
  CHECK(fashion.data.resolved_dir() == "/usr/share/datasets/fashion-mnist");
}

TEST_CASE("a file may give any subset; overrides apply in order, the last one winning",
          "[config][smoke]") {
  auto c = emnist::parse_config("[train]\nlr = 0.01\nepochs = 3\n", "f");
  CHECK(c.train.lr == 0.01);
  CHECK(c.train.batch_size == 128);
  emnist::apply_override(c, "train.lr=0.5");
  emnist::apply_override(c, "train.lr=0.25");
  emnist::apply_override(c, "train.schedule=step");  // a bare word is a string
  emnist::apply_override(c, "model.hidden=[64, 32, 16]");
  emnist::apply_override(c, "model.conv=[8, \"pool\", 16]");
  emnist::apply_override(c, "data.dir=some/where");
  emnist::apply_override(c, "model.batch_norm=false");
  CHECK(c.train.lr == 0.25);
  CHECK(choice_name(c.train.schedule) == "step");
  CHECK(c.model.hidden == std::vector<int>{64, 32, 16});
  REQUIRE(c.model.conv.size() == 3);
  CHECK(c.model.conv[1].pool);
  CHECK(c.model.conv[2].channels == 16);
  CHECK(c.data.dir == "some/where");
  CHECK_FALSE(c.model.batch_norm);
}

TEST_CASE("the resolved config reads back to the same values", "[config][smoke]") {
  auto c = emnist::parse_config(
      "[data]\ndataset = \"emnist-letters\"\nlimit = 500\n[model]\nkind = \"mlp\"\n"
      "activation = \"elu\"\nelu_alpha = 0.5\n[train]\noptimizer = \"sgd\"\nnesterov = true\n"
      "betas = [0.8, 0.99]\nlr = 0.1\n",
      "f");
  const std::string text = emnist::to_toml(c);
  const auto back = emnist::parse_config(text, "resolved");
  CHECK(emnist::to_toml(back) == text);
  CHECK(back.data.dataset == "emnist-letters");
  CHECK(back.data.limit == 500);
  CHECK(back.model.activation.kind == emnist::ActivationKind::elu);
  CHECK(back.model.activation.elu_alpha == 0.5f);
  CHECK(back.model.hidden == std::vector<int>{512, 256, 128});  // the default, now explicit
  CHECK(back.train.nesterov);
  CHECK(back.train.beta1 == 0.8);
  CHECK(back.train.lr == 0.1);
}

TEST_CASE("bad config input is one line naming the key and what is allowed", "[config][smoke]") {
  auto check = [](const std::string& text, const std::string& expected) {
    REQUIRE_THROWS_MATCHES(emnist::parse_config(text, "config x.toml"), UserError,
                           Catch::Matchers::Message(expected));
  };
  check("[train]\nlrr = 1\n",
        "config x.toml: unknown key 'train.lrr' (keys of [train]: epochs, batch_size, optimizer, "
        "lr, momentum, nesterov, betas, eps, alpha, weight_decay, l1, label_smoothing, "
        "class_weights, sampling, ema, schedule, step_size, gamma, min_lr, warmup_epochs, seed, "
        "device, "
        "precision, deterministic, cuda_graph, feeder, log_every)");
  check("[optim]\nlr = 1\n",
        "config x.toml: unknown section [optim] (sections: data, model, train, augment)");
  check("[augment]\nrotation = 120\n",
        "config x.toml: augment.rotation: 120 is out of range: allowed [0, 90]");
  check("[train]\nlr = -1\n", "config x.toml: train.lr: -1 is out of range: allowed (0, 10]");
  check("[train]\nlr = 0\n", "config x.toml: train.lr: 0 is out of range: allowed (0, 10]");
  check("[train]\nbatch_size = 0\n",
        "config x.toml: train.batch_size: 0 is out of range: allowed 1 to 65536");
  check("[train]\nepochs = \"ten\"\n",
        "config x.toml: train.epochs: expected an integer, got \"ten\"");
  check("[model]\ndropout = 1.0\n",
        "config x.toml: model.dropout: 1 is out of range: allowed [0, 1)");
  check("[train]\nlabel_smoothing = 1.0\n",
        "config x.toml: train.label_smoothing: 1 is out of range: allowed [0, 1)");
  check("[train]\nema = 1.0\n", "config x.toml: train.ema: 1 is out of range: allowed [0, 1)");
  check("[model]\npooling = \"max\"\n",
        "config x.toml: model.pooling: \"max\" is not allowed: use one of average, none");
  check("[train]\nsampling = \"weighted\"\n",
        "config x.toml: train.sampling: \"weighted\" is not allowed: use one of uniform, balanced");
  check(
      "[model]\nactivation = \"tanh\"\n",
      "config x.toml: model.activation: \"tanh\" is not allowed: use one of relu, leaky_relu, elu");
  check("[model]\nkernel = 7\n", "config x.toml: model.kernel: 7 is not allowed: use 3 or 5");
  check("[model]\nhidden = 512\n",
        "config x.toml: model.hidden: expected an array of integers, e.g. [512, 256, 128]");
  check(
      "[model]\nstages = []\n",
      "config x.toml: model.stages: [] has no stages: give one entry a stage, e.g. [32, 64, 128]");
  check("[model]\nstrides = [1, 3]\n",
        "config x.toml: model.strides: 3 is out of range: allowed 1 to 2");
  check("[model]\nconv = [32, \"max\"]\n",
        "config x.toml: model.conv: \"max\" is not allowed: use channel counts or \"pool\"");
  check("[train]\nbetas = [0.9]\n",
        "config x.toml: train.betas: expected two numbers in [0, 1), e.g. [0.9, 0.999]");
  check("[train\nlr = 1\n",
        "config x.toml:1:7: not valid TOML: Error while parsing table header: expected ']', saw "
        "'\\n'");
  check("lr = 1\n",
        "config x.toml: unknown top-level key 'lr' (sections: data, model, train, augment)");
}

TEST_CASE("bad overrides name the assignment", "[config][smoke]") {
  emnist::Config c;
  REQUIRE_THROWS_MATCHES(
      emnist::apply_override(c, "train.lr"), UserError,
      Catch::Matchers::Message(
          "--set train.lr: expected section.key=value, e.g. --set train.lr=0.01"));
  REQUIRE_THROWS_MATCHES(
      emnist::apply_override(c, "train.optimizer=lion"), UserError,
      Catch::Matchers::Message("--set train.optimizer=lion: train.optimizer: \"lion\" is not "
                               "allowed: use one of sgd, adam, adamw, rmsprop"));
}

TEST_CASE("cross-key checks reject models that cannot be built", "[config][smoke]") {
  auto check = [](const std::string& text, const std::string& fragment) {
    const auto c = emnist::parse_config(text, "f");
    REQUIRE_THROWS_WITH(emnist::validate(c), Contains(fragment));
  };
  REQUIRE_NOTHROW(emnist::validate(emnist::Config{}));
  check("[model]\nkind = \"mlp\"\nhidden = [64, 32]\n",
        "model.hidden: an MLP needs at least 3 hidden layers, got 2");
  check("[model]\nconv = [32, \"pool\"]\n",
        "model.conv: a CNN needs at least 2 convolutions, got 1");
  check("[model]\nconv = [\"pool\", 32, 32]\n", "must be a convolution");
  check("[model]\nconv = [8, 8, \"pool\", \"pool\", \"pool\", \"pool\", \"pool\"]\n",
        "shrink to 0x0");
  check("[model]\nkernel = 5\nconv = [8, \"pool\", \"pool\", \"pool\", 8]\n",
        "model.kernel: 5 is larger than the 3x3 input of convolution 2 in model.conv");
  REQUIRE_NOTHROW(emnist::validate(emnist::parse_config(
      "[model]\nkernel = 3\nconv = [8, \"pool\", \"pool\", \"pool\", 8]\n", "f")));
  check("[train]\nepochs = 2\nwarmup_epochs = 2\n", "train.warmup_epochs");
  check("[train]\nlr = 0.001\nmin_lr = 0.01\n", "train.min_lr");
  REQUIRE_NOTHROW(emnist::validate(emnist::parse_config("[train]\nfeeder = \"pinned\"\n", "f")));
  check("[data]\ndataset = \"idx\"\n", "data.train_images");
}

TEST_CASE("the ResNet's keys: defaults, a head of none, round trip and the stage checks",
          "[config][smoke]") {
  const auto r = emnist::parse_config("[model]\nkind = \"resnet\"\n", "resnet");
  CHECK(r.model.hidden_or_default().empty());
  CHECK(r.model.dropout_or_default() == 0.2);
  CHECK(r.model.stem == 32);
  CHECK(r.model.stages == std::vector<int>{32, 64, 128});
  CHECK(r.model.blocks == std::vector<int>{2, 2, 2});
  CHECK(r.model.strides == std::vector<int>{1, 2, 2});
  CHECK(r.model.pooling == emnist::ResnetPooling::average);
  REQUIRE_NOTHROW(emnist::validate(r));
  // hidden = [] is written for a ResNet and reads back as "no hidden layer", not as a default.
  const std::string text = emnist::to_toml(r);
  CHECK_THAT(text, Contains("hidden = []\n"));
  CHECK_THAT(text, Contains("stages = [32, 64, 128]\n"));
  CHECK_THAT(text, Contains("pooling = \"average\"\n"));
  const auto flat = emnist::parse_config("[model]\nkind = \"resnet\"\npooling = \"none\"\n", "f");
  CHECK(flat.model.pooling == emnist::ResnetPooling::none);
  CHECK(emnist::parse_config(emnist::to_toml(flat), "resolved").model.pooling ==
        emnist::ResnetPooling::none);
  const auto back = emnist::parse_config(text, "resolved");
  CHECK(emnist::to_toml(back) == text);
  CHECK(back.model.hidden == std::vector<int>{});
  // A CNN may drop its hidden head too.
  const auto cnn = emnist::parse_config("[model]\nhidden = []\n", "cnn");
  CHECK(cnn.model.hidden_or_default().empty());

  auto check = [](const std::string& toml, const std::string& message) {
    INFO(toml);
    REQUIRE_THROWS_WITH(emnist::validate(emnist::parse_config(toml, "f")), Contains(message));
  };
  check("[model]\nkind = \"resnet\"\nblocks = [1, 1]\n",
        "one entry a stage in each, got 3, 2 and 3");
  check(
      "[model]\nkind = \"resnet\"\nstages = [8, 8, 8, 8, 8, 8]\nblocks = [1, 1, 1, 1, 1, "
      "1]\nstrides = [2, 2, 2, 2, 2, 1]\nbatch_norm = false\n",
      "always use batch norm");
  check(
      "[model]\nkind = \"resnet\"\nstages = [8, 8, 8, 8, 8, 8]\nblocks = [1, 1, 1, 1, 1, "
      "1]\nstrides = [2, 2, 2, 2, 2, 2]\n",
      "stage 6 halves a 1x1 map");
  // Five halvings reach 1x1 (28, 14, 7, 4, 2, 1): allowed.
  REQUIRE_NOTHROW(emnist::validate(emnist::parse_config(
      "[model]\nkind = \"resnet\"\nstages = [8, 8, 8, 8, 8]\nblocks = [1, 1, 1, 1, 1]\n"
      "strides = [2, 2, 2, 2, 2]\n",
      "f")));
}

TEST_CASE("load_config names a missing file", "[config][smoke]") {
  REQUIRE_THROWS_MATCHES(
      emnist::load_config("/nonexistent/cnn.toml"), UserError,
      Catch::Matchers::Message(
          "config /nonexistent/cnn.toml: no such file (give a TOML file, e.g. configs/cnn.toml)"));
}

TEST_CASE("the shipped configs load and validate", "[config][smoke]") {
  for (const char* name : {"cnn", "mlp", "smoke", "cnn-best", "mlp-best", "resnet"}) {
    const auto c =
        emnist::load_config(std::string(EMNIST_SOURCE_DIR) + "/configs/" + name + ".toml");
    REQUIRE_NOTHROW(emnist::validate(c));
  }
  const auto cnn = emnist::load_config(std::string(EMNIST_SOURCE_DIR) + "/configs/cnn.toml");
  CHECK(choice_name(cnn.model.kind) == "cnn");
  CHECK(cnn.model.hidden_or_default() == std::vector<int>{256});
  const auto mlp = emnist::load_config(std::string(EMNIST_SOURCE_DIR) + "/configs/mlp.toml");
  CHECK(mlp.model.hidden_or_default() == std::vector<int>{512, 256, 128});
}

// The README's key table is the user's reference: every key of the table in host/config.cpp has a
// row there, every key a row names exists, and a key that names choices lists each of them.
TEST_CASE("config: the README's key table lists every key and every choice", "[config]") {
  const std::string readme =
      emnist::test::read_text(std::filesystem::path(EMNIST_SOURCE_DIR) / "README.md");
  // Rows of the key table: "| `section.key`, `other` | values | default |".
  std::vector<std::pair<std::vector<std::string>, std::string>> rows;  // keys, the whole row
  const size_t table = readme.find("| key | values | default |");
  REQUIRE(table != std::string::npos);
  std::istringstream lines(readme.substr(table, readme.find("\n\n", table) - table));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string first = line.substr(2, line.find(" |", 2) - 2);
    std::vector<std::string> keys;
    std::string section;
    for (size_t at = first.find('`'); at != std::string::npos; at = first.find('`', at)) {
      const size_t end = first.find('`', at + 1);
      std::string key = first.substr(at + 1, end - at - 1);
      at = end + 1;
      const size_t dot = key.find('.');
      if (dot != std::string::npos)
        section = key.substr(0, dot);
      else
        key = section + "." + key;  // "`data.train_images`, `train_labels`": same section
      keys.push_back(key);
    }
    if (!section.empty()) rows.emplace_back(keys, line);
  }
  const auto keys = emnist::config_keys();
  REQUIRE(keys.size() > 40);
  for (const auto& key : keys) {
    CAPTURE(key.key);
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const auto& r) {
      return std::find(r.first.begin(), r.first.end(), key.key) != r.first.end();
    });
    REQUIRE(row != rows.end());
    // A choice key's allowed text is its names, comma-separated: each must be in the row.
    if (key.allowed.find(", ") != std::string::npos && key.allowed.find('[') == std::string::npos &&
        key.allowed.find('(') == std::string::npos && key.allowed != "true, false") {
      std::istringstream names(key.allowed);
      for (std::string name; std::getline(names, name, ',');) {
        name.erase(0, name.find_first_not_of(' '));
        CAPTURE(name);
        CHECK(row->second.find(name) != std::string::npos);
      }
    }
  }
  for (const auto& [row_keys, line] : rows)
    for (const auto& k : row_keys) {
      CAPTURE(k);
      CHECK(std::any_of(keys.begin(), keys.end(), [&](const auto& key) { return key.key == k; }));
    }
}

TEST_CASE("config: every key's table entry writes its default back to the same config",
          "[config]") {
  const emnist::Config defaults;
  std::string toml = "";
  std::string section;
  for (const auto& key : emnist::config_keys()) {
    CAPTURE(key.key, key.default_text);
    CHECK_FALSE(key.help.empty());
    CHECK_FALSE(key.allowed.empty());
    const std::string s = key.key.substr(0, key.key.find('.'));
    if (s != section) toml += "[" + (section = s) + "]\n";
    toml += key.key.substr(key.key.find('.') + 1) + " = " + key.default_text + "\n";
  }
  CHECK(emnist::to_toml(emnist::parse_config(toml, "defaults")) == emnist::to_toml(defaults));
}
