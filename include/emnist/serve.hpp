#pragma once
// `emnist serve`: a trained run behind HTTP (cpp-httplib), loopback by default.
//
//   POST /v1/predict  a PNG or JPEG body (Content-Type image/png, image/jpeg), or JSON:
//                     {"pixels": [784 numbers 0..255, row-major, upright, light ink on dark]} or
//                     {"images": [such arrays, or base64 PNG or JPEG strings]}, optional "top": K.
//                     -> {"predictions": [{"top": [{"class", "index", "probability"}...],
//                         "image": [784 numbers: what the model saw]}], "model": {...}}
//   GET /v1/model     classes, kind, parameters, the run's test metrics
//   GET /healthz      {"status": "ok"}
//   GET /             the drawing page (compiled in; loads nothing from elsewhere)
//
// Errors: {"error": {"code": "...", "message": "..."}} with a 4xx status (503 when the inference
// queue is full). One inference worker takes the queued requests' images in batches onto the
// backend. SIGINT and SIGTERM stop the server cleanly (exit 0).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "emnist/backend.hpp"
#include "emnist/image_input.hpp"

namespace emnist {

struct ServeOptions {
  std::filesystem::path run;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the one bound is reported through `ready`)
  size_t max_body_bytes = size_t{4} << 20;
  ImageLimits limits;     // each image's dimensions
  int max_images = 256;   // images in one request
  int queue_length = 64;  // requests waiting for the inference worker; more get 503
  int read_timeout_seconds = 10;
  int connections = 8;  // requests handled at once (threads)
  int max_batch = 64;   // images the worker sends to the backend at once
};

// Serves until SIGINT or SIGTERM (or `stop` returns true, polled about every 100 ms, for tests).
// The signals are blocked in every thread first, and `make_backend` called after (a backend may
// start threads of its own, which must not take a signal's default action). `ready(port)` is
// called once the socket listens. UserError when the run cannot be loaded or the address not
// bound. Returns the exit code.
int run_serve(const ServeOptions& options,
              const std::function<std::unique_ptr<Backend>()>& make_backend,
              const std::function<void(int port)>& ready = {},
              const std::function<bool()>& stop = {});

}  // namespace emnist
