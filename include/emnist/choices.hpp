#pragma once
// The configuration's choices (data.format, model.kind, train.optimizer, ...) as enums, and each
// choice's one name: in TOML, on the command line, in messages and in every file the engine writes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emnist/backend.hpp"
#include "emnist/error.hpp"

namespace emnist {

enum class DataFormat { automatic, idx, csv };
enum class SplitKind { official, holdout };
enum class ModelKind { mlp, cnn, resnet };
enum class ScheduleKind { constant, step, cosine };
enum class DeviceChoice { automatic, cpu, cuda };
// What the tensor cores may round a product's inputs to; storage and master weights stay fp32.
enum class Precision { fp32, tf32, bf16 };
enum class FeederChoice { automatic, resident, pinned };
// Class weights of the training loss: none, or balanced (n / (classes * count of the class) over
// the training split, scikit-learn's "balanced").
enum class ClassWeighting { none, balanced };
// How each training epoch draws its samples: uniform (every sample once, shuffled), or balanced
// (as many draws as samples, each a class picked uniformly, then one of its samples:
// epoch_order.hpp).
enum class Sampling { uniform, balanced };
// What a ResNet does with its last stage's map before the head: average each channel over the map
// (global average pooling), or nothing (the map is flattened: the head weighs each position).
enum class ResnetPooling { average, none };

// Each choice's name in TOML, on the command line and in every file the engine writes.
template <typename E>
struct ChoiceName {
  E value;
  std::string_view name;
};
inline constexpr ChoiceName<DataFormat> kDataFormats[] = {
    {DataFormat::automatic, "auto"}, {DataFormat::idx, "idx"}, {DataFormat::csv, "csv"}};
inline constexpr ChoiceName<SplitKind> kSplitKinds[] = {{SplitKind::official, "official"},
                                                        {SplitKind::holdout, "holdout"}};
inline constexpr ChoiceName<ModelKind> kModelKinds[] = {
    {ModelKind::mlp, "mlp"}, {ModelKind::cnn, "cnn"}, {ModelKind::resnet, "resnet"}};
inline constexpr ChoiceName<ActivationKind> kActivationKinds[] = {
    {ActivationKind::relu, "relu"},
    {ActivationKind::leaky_relu, "leaky_relu"},
    {ActivationKind::elu, "elu"}};
inline constexpr ChoiceName<OptimizerKind> kOptimizerKinds[] = {
    {OptimizerKind::sgd, "sgd"},
    {OptimizerKind::adam, "adam"},
    {OptimizerKind::adamw, "adamw"},
    {OptimizerKind::rmsprop, "rmsprop"}};
inline constexpr ChoiceName<ScheduleKind> kScheduleKinds[] = {{ScheduleKind::constant, "constant"},
                                                              {ScheduleKind::step, "step"},
                                                              {ScheduleKind::cosine, "cosine"}};
inline constexpr ChoiceName<DeviceChoice> kDeviceChoices[] = {
    {DeviceChoice::automatic, "auto"}, {DeviceChoice::cpu, "cpu"}, {DeviceChoice::cuda, "cuda"}};
inline constexpr ChoiceName<Precision> kPrecisions[] = {
    {Precision::fp32, "fp32"}, {Precision::tf32, "tf32"}, {Precision::bf16, "bf16"}};
inline constexpr ChoiceName<FeederChoice> kFeederChoices[] = {{FeederChoice::automatic, "auto"},
                                                              {FeederChoice::resident, "resident"},
                                                              {FeederChoice::pinned, "pinned"}};
inline constexpr ChoiceName<ClassWeighting> kClassWeightings[] = {
    {ClassWeighting::none, "none"}, {ClassWeighting::balanced, "balanced"}};
inline constexpr ChoiceName<Sampling> kSamplings[] = {{Sampling::uniform, "uniform"},
                                                      {Sampling::balanced, "balanced"}};
inline constexpr ChoiceName<ResnetPooling> kResnetPoolings[] = {{ResnetPooling::average, "average"},
                                                                {ResnetPooling::none, "none"}};

// The table of an enum's names, found by the enum's type (C++17: the CUDA sources include this).
constexpr const auto& choices_of(DataFormat) { return kDataFormats; }
constexpr const auto& choices_of(SplitKind) { return kSplitKinds; }
constexpr const auto& choices_of(ModelKind) { return kModelKinds; }
constexpr const auto& choices_of(ActivationKind) { return kActivationKinds; }
constexpr const auto& choices_of(OptimizerKind) { return kOptimizerKinds; }
constexpr const auto& choices_of(ScheduleKind) { return kScheduleKinds; }
constexpr const auto& choices_of(DeviceChoice) { return kDeviceChoices; }
constexpr const auto& choices_of(Precision) { return kPrecisions; }
constexpr const auto& choices_of(FeederChoice) { return kFeederChoices; }
constexpr const auto& choices_of(ClassWeighting) { return kClassWeightings; }
constexpr const auto& choices_of(Sampling) { return kSamplings; }
constexpr const auto& choices_of(ResnetPooling) { return kResnetPoolings; }

template <typename E>
constexpr std::string_view choice_name(E value) {
  for (const auto& c : choices_of(E{}))
    if (c.value == value) return c.name;
  return "?";
}
template <typename E>
constexpr std::optional<E> choice_from_name(std::string_view name) {
  for (const auto& c : choices_of(E{}))
    if (c.name == name) return c.value;
  return std::nullopt;
}
// Every name of E, in its table's order.
template <typename E>
std::vector<std::string> choice_name_list() {
  std::vector<std::string> names;
  for (const auto& c : choices_of(E{})) names.emplace_back(c.name);
  return names;
}
// "a, b, c": what a message offers.
template <typename E>
std::string choice_names(E) {
  std::string out;
  for (const auto& name : choice_name_list<E>()) out += (out.empty() ? "" : ", ") + name;
  return out;
}
// The choice named `text`, or a UserError naming `what` (a key or an option) and the choices.
template <typename E>
E parse_choice(std::string_view text, const std::string& what) {
  if (const auto value = choice_from_name<E>(text)) return *value;
  throw UserError(what + ": \"" + std::string(text) + "\" is not allowed: use one of " +
                  choice_names(E{}));
}

}  // namespace emnist
