#pragma once
// Runs one training or evaluation step of a model on its backend, and keeps the step's device-side
// state: the step scalars (learning rate, step counter), the batch loss, and the running loss sum
// and confusion matrix that are read back once per epoch rather than once per step.
//
// With train.cuda_graph on a backend that has graphs, each kind of step (training, evaluation)
// and batch size runs eagerly once (library workspaces and algorithms get chosen), is captured as
// a graph the second time and replayed from then on: one launch per step. A capture that fails
// is logged once and that step stays eager.
//
// Nothing in a step waits for the device: the step scalars go up from a ring of page-locked
// slots (the host waits only when it is a whole ring of steps ahead), and progress is read back
// by an asynchronous copy that the host collects when an event says it has arrived.
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "emnist/arena.hpp"
#include "emnist/config.hpp"
#include "emnist/metrics.hpp"
#include "emnist/model.hpp"
#include "train/optimizer.hpp"
#include "train/overlap.hpp"
#include "train/weight_average.hpp"

namespace emnist {

// The device's state after an optimizer step, as a progress read-back saw it.
struct ProgressSample {
  int64_t step = 0;              // optimizer steps taken (steps() when it was requested)
  float loss = 0.0f;             // that step's batch loss
  int64_t first_nonfinite = -1;  // as read_first_nonfinite()
};

class StepRunner {
 public:
  StepRunner(Model& model, const TrainConfig& config);
  ~StepRunner();
  StepRunner(const StepRunner&) = delete;
  StepRunner& operator=(const StepRunner&) = delete;

  Model& model() { return model_; }
  Optimizer& optimizer() { return optimizer_; }
  WeightAverage& average() { return average_; }  // train.ema's, updated after every step
  // The training loss's class weights from now on ([classes]; empty: none). Uploaded once, so
  // call it before the first step (a captured step reads them where they are).
  void set_class_weights(const std::vector<float>& weights);
  int64_t steps() const { return steps_; }  // optimizer steps taken so far
  const GraphCounts& graph_counts() const { return graph_counts_; }

  // The batch is in model.input(n) and model.labels(). Forward (train mode), loss, backward,
  // regularisation, optimizer step at rate `lr`; the loss and the predictions go into the totals.
  void train_batch(int64_t n, float lr);
  // Forward (inference mode) and loss, into the totals.
  void eval_batch(int64_t n);
  // After eval_batch(n): the logits and their softmax, copied to the host ([n, classes] each).
  void read_outputs(int64_t n, float* logits, float* probs);

  // Queues a copy of the last batch's loss and the divergence record to the host, after the ops
  // issued so far, and returns at once; dropped while the previous request is still on its way.
  void request_progress();
  // The values of the last request once the device has delivered them (then only once); never
  // waits.
  std::optional<ProgressSample> poll_progress();
  float read_last_loss();  // the last batch's mean loss (a blocking read-back)
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
  void issue_forward_and_loss(int64_t n, const StepContext& ctx, bool train);
  template <typename Issue>
  void run_step(bool train, int64_t n, Issue issue);

  static constexpr int kScalarSlots = 8;
  struct HostSide {  // the page-locked staging of the scalars and read-backs
    StepScalars scalars[kScalarSlots];
    float loss = 0.0f;
    int64_t first_nonfinite = -1;
  };

  Model& model_;
  Optimizer optimizer_;
  WeightAverage average_;
  bool graphs_on_;
  float label_smoothing_;           // the training loss's; evaluation's loss is the plain one
  float* class_weights_ = nullptr;  // weights_ once set
  float* weights_ = nullptr;        // [classes], the runner's memory
  std::map<std::pair<bool, int64_t>, GraphSlot> graphs_;
  GraphCounts graph_counts_;
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
  HostBuffer host_;
  HostSide* staging_ = nullptr;
  std::vector<Event> scalars_sent_;  // per slot: its copy to the device is done
  Event progress_arrived_;
  std::optional<int64_t> progress_step_;  // the request on its way
};

}  // namespace emnist
