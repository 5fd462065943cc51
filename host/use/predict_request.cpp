#include "use/predict_request.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <span>

namespace emnist {
namespace {

// Base64 (an optional "data:...;base64," prefix, as a canvas's toDataURL gives) through OpenSSL.
std::vector<uint8_t> base64_decode(std::string text, const std::string& what) {
  const size_t comma = text.find(',');
  if (text.rfind("data:", 0) == 0 && comma != std::string::npos) text.erase(0, comma + 1);
  std::erase_if(text, [](char c) { return c == '\n' || c == '\r' || c == ' '; });
  if (text.empty() || text.size() % 4 != 0)
    throw RequestError(400, "bad_image", what + ": not base64 (its length is not a multiple of 4)");
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw RequestError(400, "bad_image", what + ": not base64");
  // EVP_DecodeBlock counts the padding's bytes as zeros: drop them.
  size_t size = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

EmnistImage from_file_bytes(std::span<const uint8_t> bytes, const std::string& what,
                            const ImageLimits& limits) {
  try {
    return emnist_form(decode_image(bytes, what, limits));
  } catch (const ImageTooLarge& e) {
    throw RequestError(413, "image_too_large", e.what());
  } catch (const UserError& e) {
    throw RequestError(400, "bad_image", e.what());
  }
}

// 784 numbers in 0..255, already in EMNIST's form.
EmnistImage from_pixels(const nlohmann::json& pixels, const std::string& what) {
  if (!pixels.is_array() || pixels.size() != kEmnistSide * kEmnistSide)
    throw RequestError(
        400, "bad_pixels",
        fmt::format("{}: {} numbers; 784 expected (28x28, row-major, upright, light ink on dark)",
                    what, pixels.is_array() ? pixels.size() : 0));
  EmnistImage image;
  for (size_t i = 0; i < image.size(); ++i) {
    const auto& v = pixels[i];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 ||
        v.get<double>() > 255)
      throw RequestError(
          400, "bad_pixels",
          fmt::format("{}[{}]: {} is not a number from 0 to 255", what, i, v.dump()));
    image[i] = static_cast<uint8_t>(std::lround(v.get<double>()));
  }
  return image;
}

}  // namespace

PredictRequest parse_predict_request(const std::string& content_type, const std::string& body,
                                     const ServeOptions& o, int classes) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  PredictRequest request;
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  if (type == "image/png" || type == "image/jpeg") {
    request.images.push_back(from_file_bytes(bytes, "the body", o.limits));
    return request;
  }
  if (type != "application/json")
    throw RequestError(415, "unsupported_media_type",
                       fmt::format("Content-Type \"{}\": send image/png, image/jpeg or "
                                   "application/json",
                                   content_type));
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) throw RequestError(400, "malformed_json", "the body is not valid JSON");
  if (!json.is_object() || (json.contains("pixels") == json.contains("images")))
    throw RequestError(400, "bad_request",
                       "expected an object with \"pixels\" (one image) or \"images\" (several)");
  if (json.contains("top")) {
    const auto& top = json["top"];
    if (!top.is_number_integer() || top.get<int64_t>() < 1 || top.get<int64_t>() > classes)
      throw RequestError(
          400, "bad_top",
          fmt::format("\"top\": {} is not an integer from 1 to {}", top.dump(), classes));
    request.top = static_cast<int>(top.get<int64_t>());
  }
  request.top = std::min(request.top, classes);
  if (json.contains("pixels")) {
    request.images.push_back(from_pixels(json["pixels"], "pixels"));
    return request;
  }
  const auto& images = json["images"];
  if (!images.is_array() || images.empty())
    throw RequestError(400, "bad_request", "\"images\": expected a non-empty array");
  if (images.size() > static_cast<size_t>(o.max_images))
    throw RequestError(
        413, "too_many_images",
        fmt::format("\"images\": {} images; at most {} a request", images.size(), o.max_images));
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string what = fmt::format("images[{}]", i);
    if (images[i].is_string()) {
      const auto file = base64_decode(images[i].get<std::string>(), what);
      request.images.push_back(from_file_bytes(file, what, o.limits));
    } else {
      request.images.push_back(from_pixels(images[i], what));
    }
  }
  return request;
}

}  // namespace emnist
