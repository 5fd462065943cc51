#include "train/step_runner.hpp"

#include <spdlog/spdlog.h>

#include <new>
#include <stdexcept>

namespace emnist {

StepRunner::StepRunner(Model& model, const TrainConfig& config)
    : model_(model),
      optimizer_(model.backend(), config, model.parameter_count(), model.weight_count()),
      average_(model, static_cast<float>(config.ema)),
      graphs_on_(config.cuda_graph),
      label_smoothing_(static_cast<float>(config.label_smoothing)),
      classes_(model.num_classes()) {
  ArenaPlan plan;
  const size_t scalars = plan.add(sizeof(StepScalars));
  const size_t loss = plan.add_array<float>(1);
  const size_t loss_sum = plan.add_array<double>(1);
  const size_t confusion = plan.add_array<int64_t>(int64_t{classes_} * classes_);
  const size_t first_nonfinite = plan.add_array<int64_t>(1);
  const size_t probs = plan.add_array<float>(model.max_batch() * classes_);
  const size_t weights = plan.add_array<float>(classes_);
  memory_ = DeviceBuffer(model.backend(), plan.total());
  scalars_ = memory_.at<StepScalars>(scalars);
  loss_ = memory_.at<float>(loss);
  loss_sum_ = memory_.at<double>(loss_sum);
  confusion_ = memory_.at<int64_t>(confusion);
  first_nonfinite_ = memory_.at<int64_t>(first_nonfinite);
  probs_ = memory_.at<float>(probs);
  weights_ = memory_.at<float>(weights);
  const int64_t none = -1;
  model.backend().copy_from_host(first_nonfinite_, &none, sizeof none);
  host_ = HostBuffer(model.backend(), sizeof(HostSide));
  staging_ = new (static_cast<void*>(host_.at<char>(0))) HostSide();
  for (int i = 0; i < kScalarSlots; ++i) scalars_sent_.emplace_back(model.backend());
  progress_arrived_ = Event(model.backend());
}

StepRunner::~StepRunner() {
  // The staging is freed next: no copy may still be using it.
  try {
    for (const Event& e : scalars_sent_) e.wait();
    progress_arrived_.wait();
  } catch (const std::exception& e) {
    spdlog::error("waiting for the last step's copies failed: {}", e.what());
  }
}

void StepRunner::upload_scalars(float lr) {
  // A slot is rewritten once its copy is done: the wait is for a step kScalarSlots steps back.
  const size_t slot = static_cast<size_t>(steps_ % kScalarSlots);
  scalars_sent_[slot].wait();
  StepScalars& s = staging_->scalars[slot];
  s.lr = lr;
  s.step = steps_;
  model_.backend().copy_from_host_async(scalars_, &s, sizeof s, Queue::compute);
  scalars_sent_[slot].record(Queue::compute);
}

void StepRunner::request_progress() {
  if (progress_step_) return;
  Backend& b = model_.backend();
  b.copy_to_host_async(&staging_->loss, loss_, sizeof(float), Queue::compute);
  b.copy_to_host_async(&staging_->first_nonfinite, first_nonfinite_, sizeof(int64_t),
                       Queue::compute);
  progress_arrived_.record(Queue::compute);
  progress_step_ = steps_;
}

std::optional<ProgressSample> StepRunner::poll_progress() {
  if (!progress_step_ || !progress_arrived_.done()) return std::nullopt;
  const ProgressSample sample{*progress_step_, staging_->loss, staging_->first_nonfinite};
  progress_step_.reset();
  return sample;
}

template <typename Issue>
void StepRunner::run_step(bool train, int64_t n, Issue issue) {
  if (!graphs_on_) return issue();
  Backend& b = model_.backend();
  GraphSlot& slot = graphs_[{train, n}];
  if (slot.graph >= 0) {
    ++graph_counts_.replays;
    return b.replay(slot.graph);
  }
  if (!slot.warmed || slot.failed) {
    slot.warmed = true;
    return issue();
  }
  if (!b.capture_begin()) {
    graphs_on_ = false;  // a backend without graphs
    return issue();
  }
  try {
    issue();
  } catch (const std::exception& e) {
    b.capture_abort();
    slot.failed = true;
    ++graph_counts_.failed_captures;
    spdlog::warn("CUDA graph capture of the {} step failed ({}); that step runs without a graph",
                 train ? "training" : "evaluation", e.what());
    return issue();
  }
  slot.graph = b.capture_end();
  if (slot.graph < 0) {
    slot.failed = true;
    ++graph_counts_.failed_captures;
    spdlog::warn("CUDA graph capture of the {} step failed; that step runs without a graph",
                 train ? "training" : "evaluation");
    return issue();
  }
  ++graph_counts_.captures;
  ++graph_counts_.replays;
  b.replay(slot.graph);
}

void StepRunner::train_batch(int64_t n, float lr) {
  const ScopedRange range(model_.backend(), "train step");
  upload_scalars(lr);
  run_step(true, n, [&] { issue_train(n); });
  ++steps_;
  samples_ += n;
}

// Forward, loss and the device-side totals: what a training and an evaluation step share. Training
// asks for the loss gradient and watches for the first non-finite loss.
void StepRunner::issue_forward_and_loss(int64_t n, const StepContext& ctx, bool train) {
  Backend& b = model_.backend();
  model_.forward(n, ctx);
  const ScopedRange range(b, "loss and metrics");
  const Tensor logits = model_.logits(n);
  // Validation and test losses stay the plain cross-entropy, comparable across recipes.
  const CrossEntropyParams objective =
      train ? CrossEntropyParams{label_smoothing_, class_weights_} : CrossEntropyParams{};
  b.softmax_cross_entropy(logits, model_.labels(), train ? model_.dlogits(n) : Tensor{}, loss_,
                          objective);
  b.loss_accumulate(loss_, loss_sum_, n, train ? scalars_ : nullptr,
                    train ? first_nonfinite_ : nullptr);
  b.confusion_accumulate(logits, model_.labels(), confusion_);
}

void StepRunner::set_class_weights(const std::vector<float>& weights) {
  if (weights.empty()) {
    class_weights_ = nullptr;
    return;
  }
  if (static_cast<int>(weights.size()) != classes_)
    throw std::invalid_argument("StepRunner: one class weight per class");
  model_.backend().copy_from_host(weights_, weights.data(), sizeof(float) * weights.size());
  class_weights_ = weights_;
}

void StepRunner::issue_train(int64_t n) {
  const StepContext ctx{Mode::train, scalars_};
  issue_forward_and_loss(n, ctx, true);
  model_.backward(n, ctx);
  const ScopedRange range(model_.backend(), "optimizer");
  optimizer_.step(model_.params(), model_.grads(), scalars_);
  average_.update(scalars_);
}

void StepRunner::eval_batch(int64_t n) {
  const ScopedRange range(model_.backend(), "eval step");
  run_step(false, n, [&] { issue_eval(n); });
  samples_ += n;
}

void StepRunner::issue_eval(int64_t n) {
  issue_forward_and_loss(n, StepContext{Mode::infer, scalars_}, false);
}

void StepRunner::read_outputs(int64_t n, float* logits, float* probs) {
  Backend& b = model_.backend();
  const Tensor l = model_.logits(n);
  const Tensor p(probs_, {n, classes_}, b.device());
  b.softmax(l, p);
  const size_t bytes = sizeof(float) * static_cast<size_t>(n * classes_);
  b.copy_to_host(logits, l.data, bytes);
  b.copy_to_host(probs, p.data, bytes);
}

float StepRunner::read_last_loss() {
  float loss = 0.0f;
  model_.backend().copy_to_host(&loss, loss_, sizeof loss);
  return loss;
}

int64_t StepRunner::read_first_nonfinite() {
  int64_t step = -1;
  model_.backend().copy_to_host(&step, first_nonfinite_, sizeof step);
  return step;
}

void StepRunner::restore(int64_t steps, const Totals& totals) {
  if (steps < 0 || totals.classes != classes_ ||
      totals.confusion.size() != static_cast<size_t>(classes_ * classes_))
    throw std::invalid_argument("StepRunner::restore: totals for another model");
  Backend& b = model_.backend();
  steps_ = steps;
  samples_ = totals.samples;
  b.copy_from_host(loss_sum_, &totals.loss_sum, sizeof(double));
  b.copy_from_host(confusion_, totals.confusion.data(), sizeof(int64_t) * totals.confusion.size());
}

void StepRunner::reset_totals() {
  Backend& b = model_.backend();
  b.zero(loss_sum_, sizeof(double));
  b.zero(confusion_, sizeof(int64_t) * static_cast<size_t>(classes_ * classes_));
  samples_ = 0;
}

Totals StepRunner::read_totals() {
  Backend& b = model_.backend();
  Totals t;
  t.classes = classes_;
  t.samples = samples_;
  t.confusion.resize(static_cast<size_t>(classes_ * classes_));
  b.copy_to_host(&t.loss_sum, loss_sum_, sizeof(double));
  b.copy_to_host(t.confusion.data(), confusion_, sizeof(int64_t) * t.confusion.size());
  return t;
}

}  // namespace emnist
