#include "emnist/serve.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "emnist/error.hpp"
#include "emnist/predict.hpp"
#include "emnist/run_dir.hpp"
#include "text_file.hpp"
#include "use/drawing_page.hpp"
#include "use/inference_queue.hpp"
#include "use/predict_request.hpp"

namespace emnist {
namespace {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

// SIGINT and SIGTERM blocked in this thread and every thread it starts from here on; restored on
// destruction.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_, previous_;
};

// GET /v1/model's answer: the run's model and its test figures from summary.json.
nlohmann::json model_description(const ServeOptions& o, const Predictor& predictor) {
  nlohmann::json model = {{"run", std::filesystem::absolute(o.run).lexically_normal().string()},
                          {"kind", predictor.model_kind()},
                          {"classes", predictor.class_names()},
                          {"parameters", predictor.parameters()}};
  const auto summary = nlohmann::json::parse(read_text(RunFiles(o.run).summary()), nullptr, false);
  if (!summary.is_discarded() && summary.contains("metrics") && summary["metrics"].contains("test"))
    model["test_metrics"] = summary["metrics"]["test"];
  return model;
}

}  // namespace

int run_serve(const ServeOptions& o, const std::function<std::unique_ptr<Backend>()>& make_backend,
              const std::function<void(int port)>& ready, const std::function<bool()>& stop) {
  const BlockedSignals signals;
  const std::unique_ptr<Backend> backend = make_backend();
  Predictor predictor(o.run, *backend, o.max_batch);
  InferenceQueue queue(
      [&predictor](std::span<const EmnistImage> images) { return predictor.probabilities(images); },
      static_cast<size_t>(predictor.classes()), static_cast<size_t>(o.queue_length),
      static_cast<size_t>(o.max_batch));
  const nlohmann::json model = model_description(o, predictor);
  const nlohmann::json model_brief = {
      {"run", model["run"]}, {"kind", model["kind"]}, {"classes", predictor.classes()}};

  httplib::Server server;
  const int connections = o.connections;
  server.new_task_queue = [connections] {
    return new httplib::ThreadPool(static_cast<size_t>(connections));
  };
  // Answers are small: without this, Nagle's algorithm and the client's delayed ACK hold each
  // one back about 40 ms (measured: 29 requests/s from one client, 48 ms median).
  server.set_tcp_nodelay(true);
  // httplib's default options add SO_REUSEPORT, with which a second server binds a port already
  // in use and the two share its requests: SO_REUSEADDR only, so that the second is refused.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_payload_max_length(o.max_body_bytes);
  server.set_read_timeout(o.read_timeout_seconds, 0);
  server.set_error_handler([&o](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      send_error(res, 413, "body_too_large",
                 fmt::format("the body is larger than {} bytes", o.max_body_bytes));
    else if (res.status == 404)
      send_error(res, 404, "not_found",
                 fmt::format("{} {}: no such endpoint (POST /v1/predict, GET /v1/model, GET "
                             "/healthz, GET /)",
                             req.method, req.path));
    else
      send_error(res, res.status, "bad_request", "the request could not be read");
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("serve: internal error: {}", what);
        send_error(res, 500, "internal", what);
      });

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}});
  });
  server.Get("/v1/model", [&model](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, model);
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    const std::string_view page = drawing_page();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
  server.Post("/v1/predict", [&](const httplib::Request& req, httplib::Response& res) {
    try {
      const PredictRequest request = parse_predict_request(req.get_header_value("Content-Type"),
                                                           req.body, o, predictor.classes());
      auto future = queue.submit(request.images);
      if (!future)
        throw RequestError(503, "busy", "the inference queue is full; retry in a moment");
      const std::vector<float> probs = future->get();
      const auto classes = static_cast<size_t>(predictor.classes());
      nlohmann::json predictions = nlohmann::json::array();
      for (size_t i = 0; i < request.images.size(); ++i) {
        nlohmann::json top = nlohmann::json::array();
        for (const Ranked& r :
             top_classes(std::span(probs).subspan(i * classes, classes), request.top))
          top.push_back({{"class", predictor.class_names()[static_cast<size_t>(r.index)]},
                         {"index", r.index},
                         {"probability", r.probability}});
        predictions.push_back({{"top", top}, {"image", request.images[i]}});
      }
      send_json(res, 200, {{"predictions", predictions}, {"model", model_brief}});
    } catch (const RequestError& e) {
      send_error(res, e.status(), e.code(), e.what());
    }
  });

  const int port = o.port == 0 ? server.bind_to_any_port(o.host) : o.port;
  if (port < 0 || (o.port != 0 && !server.bind_to_port(o.host, o.port)))
    throw UserError(
        fmt::format("serve: cannot listen on {}:{} (in use, or not an address of "
                    "this machine); give another --port or --host",
                    o.host, o.port));
  // Stops the server on SIGINT or SIGTERM (or when `stop` says so); asks again until listen
  // returns, since a signal may come before it has started.
  std::atomic<bool> done{false};
  std::atomic<int> received{0};
  std::thread watcher([&] {
    const timespec tick{0, 100'000'000};
    while (!done) {
      if (received == 0) {
        const int signal = sigtimedwait(&signals.set(), nullptr, &tick);
        if (signal > 0)
          received = signal;
        else if (stop && stop())
          received = -1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (received != 0) server.stop();
    }
  });
  spdlog::info("serving {} ({}, {} classes) on http://{}:{}/ ; Ctrl-C stops", o.run.string(),
               predictor.model_kind(), predictor.classes(), o.host, port);
  if (ready) ready(port);
  const bool clean = server.listen_after_bind() || received != 0;
  done = true;
  watcher.join();
  if (!clean) throw std::runtime_error("serve: the server stopped by itself");
  spdlog::info("serve: stopped{}",
               received > 0 ? fmt::format(" on signal {}", received.load()) : "");
  return 0;
}

}  // namespace emnist
