#pragma once
// The body of POST /v1/predict turned into images in EMNIST's form, or an HTTP error.
#include <stdexcept>
#include <string>
#include <vector>

#include "emnist/image_input.hpp"
#include "emnist/serve.hpp"

namespace emnist {

// An answer that is not a prediction: its status, a code for programs, a message for people.
class RequestError : public std::runtime_error {
 public:
  RequestError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

struct PredictRequest {
  std::vector<EmnistImage> images;
  int top = 5;
};

// content_type: the request's Content-Type (parameters such as charset ignored). `classes` bounds
// "top".
PredictRequest parse_predict_request(const std::string& content_type, const std::string& body,
                                     const ServeOptions& options, int classes);

}  // namespace emnist
