#pragma once
// Runs one training or evaluation step of a model on its backend, and keeps the step's device-side
// state: the step scalars (learning rate, step counter), the batch loss, and the running loss sum
// and confusion matrix that are read back once per epoch rather than once per step.
//
// With train.cuda_graph on a backend that has graphs, each kind of step (training, evaluation)
// and batch size runs eagerly once (library workspaces and algorithms get chosen), is captured as
// a graph the second time and replayed from then on: one launch per step. A capture that fails
// is logged once and that step stays eager.
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "emnist/arena.hpp"
#include "emnist/config.hpp"
#include "emnist/model.hpp"
#include "emnist/optimizer.hpp"

namespace emnist {

// What a pass over a split accumulated.
struct Totals {
  int classes = 0;
  int64_t samples = 0;
  double loss_sum = 0.0;           // sum over samples of the cross-entropy
  std::vector<int64_t> confusion;  // [true * classes + predicted]
  double loss() const { return samples > 0 ? loss_sum / static_cast<double>(samples) : 0.0; }
  double accuracy() const;
};

class StepRunner {
 public:
  StepRunner(Model& model, const TrainConfig& config);

  Model& model() { return model_; }
  Optimizer& optimizer() { return optimizer_; }
  int64_t steps() const { return steps_; }  // optimizer steps taken so far

  // The batch is in model.input(n) and model.labels(). Forward (train mode), loss, backward,
  // regularisation, optimizer step at rate `lr`; the loss and the predictions go into the totals.
  void train_batch(int64_t n, float lr);
  // Forward (inference mode) and loss, into the totals.
  void eval_batch(int64_t n);
  // After eval_batch(n): the logits and their softmax, copied to the host ([n, classes] each).
  void read_outputs(int64_t n, float* logits, float* probs);

  float read_last_loss();  // the last batch's mean loss (a read-back: not every step)
  // The optimizer step (counting from 0) of the first training batch whose loss was NaN or
  // infinite, or -1: a device-side record, so a read-back every few steps still names the step.
  int64_t read_first_nonfinite();
  void reset_totals();
  Totals read_totals();
  // Continues from a checkpoint: `steps` optimizer steps taken, the epoch's running totals so far.
  void restore(int64_t steps, const Totals& totals);

 private:
  struct GraphSlot {
    bool warmed = false, failed = false;
    int graph = -1;
  };
  void upload_scalars(float lr);
  void issue_train(int64_t n);
  void issue_eval(int64_t n);
  template <typename Issue>
  void run_step(bool train, int64_t n, Issue issue);

  Model& model_;
  Optimizer optimizer_;
  bool graphs_on_;
  std::map<std::pair<bool, int64_t>, GraphSlot> graphs_;
  int classes_;
  int64_t steps_ = 0;
  int64_t samples_ = 0;
  DeviceBuffer memory_;
  StepScalars* scalars_ = nullptr;
  float* loss_ = nullptr;
  double* loss_sum_ = nullptr;
  int64_t* confusion_ = nullptr;
  int64_t* first_nonfinite_ = nullptr;
  float* probs_ = nullptr;
};

}  // namespace emnist
