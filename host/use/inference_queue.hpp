#pragma once
// The server's one inference worker: requests queue their images (a bounded queue: a full one is
// refused at once, and the server answers 503); the worker takes the waiting requests together, up
// to max_batch images, through the predictor in one batch, and hands each request its rows.
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "emnist/image_input.hpp"

namespace emnist {

class InferenceQueue {
 public:
  // infer: the probabilities of a batch ([n, classes], as Predictor::probabilities).
  using Infer = std::function<std::vector<float>(std::span<const EmnistImage>)>;
  InferenceQueue(Infer infer, size_t classes, size_t queue_length, size_t max_batch);
  ~InferenceQueue();  // finishes the queued requests, then stops the worker
  InferenceQueue(const InferenceQueue&) = delete;
  InferenceQueue& operator=(const InferenceQueue&) = delete;

  // The probabilities of `images` ([n, classes]), or nullopt when the queue is full.
  std::optional<std::future<std::vector<float>>> submit(std::vector<EmnistImage> images);

 private:
  struct Job {
    std::vector<EmnistImage> images;
    std::promise<std::vector<float>> result;
  };
  void work();

  Infer infer_;
  size_t classes_, queue_length_, max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace emnist
