// `emnist serve` over loopback: the API's answers to good requests, one clear 4xx JSON error for
// each kind of bad one (and the server still serving after them), a partial request cut by the
// read timeout, 8 concurrent clients, the drawing page in headless Chromium, and SIGTERM ending the
// command cleanly. Each case trains a small model of its own (a few seconds).
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <png.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "emnist/config.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "emnist/predict.hpp"
#include "emnist/serve.hpp"
#include "images/image_writers.hpp"
#include "support/support.hpp"

using namespace emnist;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

// A finished run of a small MLP (1,500 ByMerge images, one epoch): seconds. These end-to-end cases
// run once, in the plain build (issue 20: not repeated under the sanitizers); the inference
// queue's own test runs under ThreadSanitizer, the decoders under the fuzzer.
std::filesystem::path trained_run(const std::filesystem::path& dir) {
  if (test::under_sanitizer()) test::skip("run once, in the plain build");
  return test::train_smoke_run(dir / "run");
}

// The server in this process on a free port, stopped when the fixture goes.
class Server {
 public:
  explicit Server(ServeOptions options) : options_(std::move(options)) {
    options_.port = 0;
    std::promise<int> bound;
    auto port = bound.get_future();
    thread_ = std::thread([this, &bound] {
      try {
        run_serve(
            options_, [] { return make_cpu_backend(); }, [&bound](int p) { bound.set_value(p); },
            [this] { return stop_.load(); });
      } catch (...) {
        bound.set_exception(std::current_exception());
      }
    });
    port_ = port.get();
  }
  ~Server() {
    stop_ = true;
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  int port() const { return port_; }

 private:
  ServeOptions options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int port_ = 0;
};

// A 60x60 PNG of a dark vertical bar on white.
std::string bar_png() {
  std::vector<uint8_t> grey(60 * 60, 255);
  for (int y = 10; y < 50; ++y)
    for (int x = 26; x < 34; ++x) grey[static_cast<size_t>(y * 60 + x)] = 0;
  const auto bytes = test::png_bytes(60, 60, PNG_FORMAT_GRAY, grey);
  return {bytes.begin(), bytes.end()};
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void check_error(const httplib::Result& r, int status, const std::string& code,
                 const std::string& message) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  const json body = json::parse(r->body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["error"]["code"] == code);
  CHECK_THAT(body["error"]["message"].get<std::string>(), Contains(message));
}

}  // namespace

TEST_CASE("serve: the API answers good requests", "[e2e][serve]") {
  test::TempDir dir;
  ServeOptions options;
  options.run = trained_run(dir.path());
  Server server(options);
  auto client = server.client();

  const auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(json::parse(health->body)["status"] == "ok");

  const auto model = client.Get("/v1/model");
  REQUIRE(model);
  const json m = json::parse(model->body);
  CHECK(m["kind"] == "mlp");
  CHECK(m["classes"].size() == 47);
  CHECK(m["classes"][10] == "A");
  CHECK(m["parameters"].get<int64_t>() > 0);
  CHECK(m["test_metrics"]["accuracy"].get<double>() > 0.02);

  const std::string png = bar_png();
  const auto one = client.Post("/v1/predict", png, "image/png");
  REQUIRE(one);
  INFO(one->body);
  REQUIRE(one->status == 200);
  const json answer = json::parse(one->body);
  REQUIRE(answer["predictions"].size() == 1);
  const json& top = answer["predictions"][0]["top"];
  REQUIRE(top.size() == 5);
  double sum = 0;
  for (size_t i = 0; i < top.size(); ++i) {
    sum += top[i]["probability"].get<double>();
    if (i > 0) CHECK(top[i - 1]["probability"] >= top[i]["probability"]);
    CHECK(m["classes"][top[i]["index"].get<size_t>()] == top[i]["class"]);
  }
  CHECK(sum <= 1.0 + 1e-6);
  const json seen = answer["predictions"][0]["image"];
  REQUIRE(seen.size() == 784);

  // The same image three ways in one batch (base64 PNG, a data URL, the 784 pixels the model saw):
  // three equal answers, equal to the single request's.
  const json batch = {{"images", {base64(png), "data:image/png;base64," + base64(png), seen}},
                      {"top", 3}};
  const auto many = client.Post("/v1/predict", batch.dump(), "application/json");
  REQUIRE(many);
  INFO(many->body);
  REQUIRE(many->status == 200);
  const json answers = json::parse(many->body)["predictions"];
  REQUIRE(answers.size() == 3);
  for (const json& a : answers) {
    REQUIRE(a["top"].size() == 3);
    CHECK(a["top"][0]["class"] == top[0]["class"]);
    CHECK(a["top"][0]["probability"].get<double>() ==
          Approx(top[0]["probability"].get<double>()).epsilon(1e-6));
    CHECK(a["image"] == seen);
  }
  const auto pixels = client.Post("/v1/predict", json{{"pixels", seen}}.dump(), "application/json");
  REQUIRE(pixels);
  CHECK(pixels->status == 200);

  // The page, compiled in, loading nothing from elsewhere.
  const auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK_THAT(page->body, Contains("<canvas id=\"pad\""));
  CHECK(page->body.find("http://") == std::string::npos);
  CHECK(page->body.find("https://") == std::string::npos);
}

TEST_CASE("serve: bad requests are 4xx JSON errors and the server keeps serving", "[e2e][serve]") {
  test::TempDir dir;
  ServeOptions options;
  options.run = trained_run(dir.path());
  options.max_body_bytes = 64 * 1024;
  options.max_images = 4;
  Server server(options);
  auto client = server.client();
  const std::string json_type = "application/json";

  check_error(client.Post("/v1/predict", "{\"pixels\": [1, 2", json_type), 400, "malformed_json",
              "not valid JSON");
  check_error(client.Post("/v1/predict", "{\"pixels\": [1, 2, 3]}", json_type), 400, "bad_pixels",
              "pixels: 3 numbers; 784 expected");
  json nan = {{"pixels", std::vector<int>(784, 0)}};
  nan["pixels"][5] = "NaN";
  check_error(client.Post("/v1/predict", nan.dump(), json_type), 400, "bad_pixels",
              "pixels[5]: \"NaN\" is not a number from 0 to 255");
  json high = {{"pixels", std::vector<int>(784, 0)}};
  high["pixels"][0] = 256;
  check_error(client.Post("/v1/predict", high.dump(), json_type), 400, "bad_pixels",
              "pixels[0]: 256 is not a number from 0 to 255");
  check_error(client.Post("/v1/predict", "{\"digits\": []}", json_type), 400, "bad_request",
              "\"pixels\" (one image) or \"images\"");
  json top = {{"pixels", std::vector<int>(784, 0)}, {"top", 0}};
  check_error(client.Post("/v1/predict", top.dump(), json_type), 400, "bad_top",
              "\"top\": 0 is not an integer from 1 to 47");
  json many = {{"images", std::vector<std::vector<int>>(5, std::vector<int>(784, 0))}};
  check_error(client.Post("/v1/predict", many.dump(), json_type), 413, "too_many_images",
              "5 images; at most 4");
  const std::string png = bar_png();
  check_error(client.Post("/v1/predict", png.substr(0, png.size() / 2), "image/png"), 400,
              "bad_image", "a corrupt or truncated PNG image");
  check_error(client.Post("/v1/predict", "{\"images\": [\"!!!!\"]}", json_type), 400, "bad_image",
              "images[0]: not base64");
  check_error(client.Post("/v1/predict", png, "text/plain"), 415, "unsupported_media_type",
              "send image/png, image/jpeg or application/json");
  check_error(client.Post("/v1/predict", std::string(100 * 1024, 'x'), "image/png"), 413,
              "body_too_large", "larger than 65536 bytes");
  // A PNG whose header claims 50000 x 50000 pixels: refused from the header.
  auto huge = test::png_bytes(6, 4, PNG_FORMAT_GRAY, std::vector<uint8_t>(24, 0));
  for (size_t at : {16u, 20u}) {
    huge[at] = 0;
    huge[at + 1] = 0;
    huge[at + 2] = 0xc3;
    huge[at + 3] = 0x50;
  }
  const uLong crc = crc32(0, huge.data() + 12, 17);
  for (int i = 0; i < 4; ++i)
    huge[29 + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  check_error(client.Post("/v1/predict", std::string(huge.begin(), huge.end()), "image/png"), 413,
              "image_too_large", "50000x50000 pixels, larger than the 4096x4096 allowed");
  check_error(client.Get("/v2/predict"), 404, "not_found", "no such endpoint");

  const auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("serve: a partial request is cut by the read timeout; 8 clients at once",
          "[e2e][serve]") {
  test::TempDir dir;
  ServeOptions options;
  options.run = trained_run(dir.path());
  options.read_timeout_seconds = 1;
  Server server(options);

  // Headers promising 1,000 bytes, then 10 and silence: the server gives up on the request (an
  // error status, or closing the connection) instead of waiting for ever.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string partial =
      "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: "
      "1000\r\n\r\n0123456789";
  REQUIRE(send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
    reply.append(buffer, static_cast<size_t>(n));
  close(fd);
  INFO(reply);
  CHECK((reply.empty() || reply.rfind("HTTP/1.1 4", 0) == 0));

  // 8 clients, 6 requests each, all answered alike.
  const std::string png = bar_png();
  std::vector<std::future<std::vector<std::string>>> clients;
  for (int c = 0; c < 8; ++c)
    clients.push_back(std::async(std::launch::async, [&] {
      auto client = server.client();
      std::vector<std::string> tops;
      for (int i = 0; i < 6; ++i) {
        const auto r = client.Post("/v1/predict", png, "image/png");
        tops.push_back(
            r && r->status == 200
                ? json::parse(r->body)["predictions"][0]["top"][0]["class"].get<std::string>()
                : std::string("failed"));
      }
      return tops;
    }));
  std::vector<std::string> all;
  for (auto& c : clients)
    for (const auto& t : c.get()) all.push_back(t);
  REQUIRE(all.size() == 48);
  CHECK(all[0] != "failed");
  for (const auto& t : all) CHECK(t == all[0]);
}

TEST_CASE(
    "serve: the drawing page in headless Chromium: strokes give bars, an EMNIST image is "
    "classified as predict classifies it",
    "[e2e][serve][browser]") {
  const std::string checker = EMNIST_SOURCE_DIR "/tools/check_serve_page.py";
  const auto probe = test::run_command("/usr/bin/python3 '" + checker + "' --probe");
  if (probe.exit_code != 0) {
    if (test::in_ci()) FAIL("CI=true but no headless browser to check the page: " + probe.output);
    test::skip("no headless browser: " + probe.output);
  }
  test::TempDir dir;
  ServeOptions options;
  options.run = trained_run(dir.path());
  // The image of the file's first 50 that the model is surest of, and its class: what `predict`
  // answers for it (the same Predictor).
  DataConfig dc;
  dc.dataset = "emnist-bymerge";
  dc.dir = (test::require_shared() / "data" / "emnist").string();
  const Dataset data = load_dataset(dc);
  const ImageSet& set = data.has_train ? data.train : data.test;
  std::vector<EmnistImage> images(50);
  for (size_t i = 0; i < images.size(); ++i)
    std::copy_n(set.image(static_cast<int64_t>(i)), 784, images[i].begin());
  auto backend = make_cpu_backend();
  Predictor predictor(options.run, *backend);
  const std::vector<float> probs = predictor.probabilities(images);
  const auto classes = static_cast<size_t>(predictor.classes());
  size_t best = 0;
  float best_p = 0;
  int best_class = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto top = top_classes(std::span(probs).subspan(i * classes, classes), 1);
    if (top[0].probability > best_p) {
      best = i;
      best_p = top[0].probability;
      best_class = top[0].index;
    }
  }
  INFO("image " << best << ", " << predictor.class_names()[static_cast<size_t>(best_class)]
                << " at " << best_p);
  test::write_file(dir / "image.json",
                   json(std::vector<int>(images[best].begin(), images[best].end())).dump());

  Server server(options);
  const auto r = test::run_command("/usr/bin/python3 '" + checker +
                                   "' http://127.0.0.1:" + std::to_string(server.port()) +
                                   "/ --pixels '" + (dir / "image.json").string() + "' --expect '" +
                                   predictor.class_names()[static_cast<size_t>(best_class)] + "'");
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("serve: the command stops cleanly on SIGTERM", "[e2e][serve]") {
  test::TempDir dir;
  const auto run = trained_run(dir.path());
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    execl(EMNIST_CLI, EMNIST_CLI, "serve", "--run", run.c_str(), "--port", "0", "--device", "cpu",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  // Its output up to the line naming the port (a blocking read: no timing involved).
  std::string output;
  char c;
  int port = 0;
  while (read(out[0], &c, 1) == 1) {
    output += c;
    const auto at = output.find("on http://127.0.0.1:");
    if (c == '\n' && at != std::string::npos) {
      port = std::stoi(output.substr(at + 20));
      break;
    }
  }
  INFO(output);
  REQUIRE(port > 0);
  httplib::Client client("127.0.0.1", port);
  const auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  REQUIRE(kill(pid, SIGTERM) == 0);
  for (ssize_t n; (n = read(out[0], &c, 1)) == 1;) output += c;
  close(out[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO(output);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(output, Contains("serve: stopped on signal 15"));
}

TEST_CASE("serve: a port in use is one clear error", "[e2e][serve]") {
  test::TempDir dir;
  ServeOptions options;
  options.run = trained_run(dir.path());
  Server server(options);
  ServeOptions second = options;
  second.port = server.port();
  REQUIRE_THROWS_MATCHES(
      run_serve(second, [] { return make_cpu_backend(); }), UserError,
      Catch::Matchers::Message(
          "serve: cannot listen on 127.0.0.1:" + std::to_string(server.port()) +
          " (in use, or not an address of this machine); give another --port or --host"));
}
