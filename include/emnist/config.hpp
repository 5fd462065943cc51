#pragma once
// The run configuration: TOML sections [data], [model], [train]. Every key has a default; a file
// may give any subset; `--set section.key=value` overrides apply after the file, in order. Unknown
// keys, wrong types and out-of-range values throw UserError naming the key and what is allowed.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/choices.hpp"

namespace emnist {

struct DataConfig {
  std::string dataset = "emnist-balanced";  // a name of the data catalog (host/data/catalog.cpp)
  std::string dir;                          // empty: the dataset's default directory
  DataFormat format = DataFormat::automatic;
  SplitKind split = SplitKind::official;
  double val_fraction = 0.1;
  double test_fraction = 0.2;  // holdout only
  int64_t limit = 0;
  uint64_t seed = 1;
  // dataset = "idx": explicit files (mapping optional)
  std::string train_images, train_labels, test_images, test_labels, mapping;

  std::filesystem::path resolved_dir() const;
};

// An entry of model.conv: a convolution's output channels, or a 2x2 max-pool.
struct ConvItem {
  bool pool = false;
  int channels = 0;
};

struct ModelConfig {
  ModelKind kind = ModelKind::cnn;
  // Hidden widths (MLP) or the head's (CNN, ResNet); unset: the kind's default ([512, 256, 128],
  // [256], none).
  std::optional<std::vector<int>> hidden;
  std::vector<ConvItem> conv{{false, 32}, {false, 32}, {true, 0},
                             {false, 64}, {false, 64}, {true, 0}};
  int kernel = 3;
  // The ResNet: a 3x3 stem convolution of `stem` channels, then stage i: blocks[i] basic residual
  // blocks of stages[i] channels, the first with stride strides[i].
  int stem = 32;
  std::vector<int> stages{32, 64, 128};
  std::vector<int> blocks{2, 2, 2};
  std::vector<int> strides{1, 2, 2};
  ResnetPooling pooling = ResnetPooling::average;
  Activation activation;
  bool batch_norm = true;
  double dropout = -1;  // < 0: the kind's default (0.2 MLP and ResNet, 0.3 CNN head)

  std::vector<int> hidden_or_default() const;
  double dropout_or_default() const;
};

struct TrainConfig {
  int epochs = 10;
  int batch_size = 128;
  OptimizerKind optimizer = OptimizerKind::adam;
  double lr = 1e-3;
  double momentum = 0.9;  // sgd and rmsprop (0 turns momentum off)
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double alpha = 0.99;  // rmsprop
  double weight_decay = 0;
  double l1 = 0;
  double label_smoothing = 0;  // of the training loss's target, [0, 1)
  double ema = 0;              // decay of the weights' moving average, [0, 1); 0: off
  ClassWeighting class_weights = ClassWeighting::none;
  Sampling sampling = Sampling::uniform;
  ScheduleKind schedule = ScheduleKind::cosine;
  int step_size = 3;   // epochs, step schedule
  double gamma = 0.1;  // step schedule
  double min_lr = 0;   // cosine
  int warmup_epochs = 0;
  uint64_t seed = 1;
  DeviceChoice device = DeviceChoice::automatic;
  Precision precision = Precision::fp32;
  bool deterministic = false;
  bool cuda_graph = true;
  FeederChoice feeder = FeederChoice::automatic;
  int log_every = 50;

  OptimizerParams optimizer_params() const;
};

// Training-time augmentation (math::AugmentSpec): off while every key is 0.
struct AugmentConfig {
  double rotation = 0;   // degrees, up to this each way
  double scale = 0;      // zoom in [1 - scale, 1 + scale)
  double shear = 0;      // horizontal shear factor, up to this each way
  double translate = 0;  // pixels, up to this each way
  double elastic = 0;    // pixels: the largest displacement of the elastic grid's points

  bool active() const;
  math::AugmentSpec spec(uint64_t seed) const;  // the draws' parameters, seeded by train.seed
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  AugmentConfig augment;
};

// Reads a TOML file (UserError naming file, line and key on any problem).
Config load_config(const std::filesystem::path& path);
Config parse_config(const std::string& toml_text, const std::string& source_name);
// Applies "section.key=value"; the value is read as TOML (a bare word is taken as a string).
void apply_override(Config& config, const std::string& assignment);
// Every key, resolved, as TOML that parse_config reads back to the same Config.
std::string to_toml(const Config& config);
// One key as the table in host/config.cpp declares it: "section.key", what it accepts, its default
// as config.toml writes it, and a line of help. The README's key table is checked against these.
struct ConfigKey {
  std::string key, allowed, default_text, help;
};
std::vector<ConfigKey> config_keys();
// Cross-key checks (e.g. a CNN needs at least two convolutions, MLP three hidden layers).
void validate(const Config& config);

}  // namespace emnist
