#include "use/inference_queue.hpp"

#include <exception>

namespace emnist {

InferenceQueue::InferenceQueue(Infer infer, size_t classes, size_t queue_length, size_t max_batch)
    : infer_(std::move(infer)),
      classes_(classes),
      queue_length_(queue_length),
      max_batch_(max_batch),
      worker_([this] { work(); }) {}

InferenceQueue::~InferenceQueue() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

std::optional<std::future<std::vector<float>>> InferenceQueue::submit(
    std::vector<EmnistImage> images) {
  Job job;
  job.images = std::move(images);
  auto future = job.result.get_future();
  {
    const std::lock_guard lock(mutex_);
    if (jobs_.size() >= queue_length_) return std::nullopt;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return future;
}

void InferenceQueue::work() {
  for (;;) {
    std::vector<Job> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      // The waiting requests in order, up to max_batch images (a larger request goes alone).
      size_t images = 0;
      while (!jobs_.empty() &&
             (batch.empty() || images + jobs_.front().images.size() <= max_batch_)) {
        images += jobs_.front().images.size();
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
    }
    std::vector<EmnistImage> all;
    for (const Job& job : batch) all.insert(all.end(), job.images.begin(), job.images.end());
    try {
      const std::vector<float> probs = infer_(all);
      const size_t classes = classes_;
      size_t row = 0;
      for (Job& job : batch) {
        const auto first = probs.begin() + static_cast<std::ptrdiff_t>(row * classes);
        job.result.set_value(std::vector<float>(
            first, first + static_cast<std::ptrdiff_t>(job.images.size() * classes)));
        row += job.images.size();
      }
    } catch (...) {
      for (Job& job : batch) job.result.set_exception(std::current_exception());
    }
  }
}

}  // namespace emnist
