// `emnist predict`: image files (and IDX files of EMNIST-form images) classified by a trained run.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "emnist/predict.hpp"

namespace emnist {
namespace {

constexpr uintmax_t kMaxFileBytes = uintmax_t{256} << 20;

struct Input {
  std::string name;  // the file, or "file#i" for an image of an IDX file
  EmnistImage image;
};

bool has_image_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".pgm";
}

// Files as given; a folder's image files (by extension), sorted by name.
std::vector<std::filesystem::path> expand(const std::vector<std::filesystem::path>& inputs,
                                          std::ostream& errors, bool& bad) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(input, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(input, ec))
        if (entry.is_regular_file() && has_image_extension(entry.path()))
          found.push_back(entry.path());
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        errors << fmt::format(
            "emnist predict: {}: a folder with no .png, .jpg, .jpeg or .pgm file\n",
            input.string());
        bad = true;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }
  return files;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UserError(path.string() + ": no such file");
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw UserError(path.string() + ": cannot read it (" + ec.message() + ")");
  if (size > kMaxFileBytes)
    throw UserError(fmt::format("{}: {} bytes, more than the {} MiB an image file may have",
                                path.string(), size, kMaxFileBytes >> 20));
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    throw UserError(path.string() + ": cannot read it");
  return bytes;
}

bool is_idx(const std::vector<uint8_t>& bytes) {
  const bool gzip = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
  const bool idx3 =
      bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && bytes[3] == 0x03;
  return gzip || idx3;
}

// An IDX file's images, already in EMNIST's form: 28x28, turned upright as the run's dataset was
// (EMNIST's files store each image transposed).
void read_idx_inputs(const std::filesystem::path& path, bool transposed, std::vector<Input>& out) {
  RawImages raw = read_idx_images(path);
  if (raw.rows != kEmnistSide || raw.cols != kEmnistSide)
    throw UserError(fmt::format("{}: IDX images of {}x{}; the model takes 28x28", path.string(),
                                raw.rows, raw.cols));
  if (transposed) transpose_images(raw);
  for (int64_t i = 0; i < raw.count; ++i) {
    Input input;
    input.name = fmt::format("{}#{}", path.string(), i);
    std::copy_n(raw.pixels.begin() + i * kEmnistSide * kEmnistSide, kEmnistSide * kEmnistSide,
                input.image.begin());
    out.push_back(std::move(input));
  }
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int run_predict(const PredictOptions& o, Backend& backend, std::ostream& out,
                std::ostream& errors) {
  if (o.top < 1) throw UserError(fmt::format("--top {}: give at least 1", o.top));
  Predictor predictor(o.run, backend);
  const bool transposed = predictor.config().data.dataset.rfind("emnist-", 0) == 0;
  bool bad = false;
  std::vector<Input> inputs;
  for (const auto& path : expand(o.inputs, errors, bad)) {
    try {
      const std::vector<uint8_t> bytes = read_bytes(path);
      if (is_idx(bytes)) {
        read_idx_inputs(path, transposed, inputs);
        continue;
      }
      inputs.push_back({path.string(), emnist_form(decode_image(bytes, path.string(), o.limits))});
    } catch (const UserError& e) {
      errors << "emnist predict: " << e.what() << "\n";
      bad = true;
    }
  }

  std::vector<EmnistImage> images;
  for (const Input& input : inputs) images.push_back(input.image);
  const std::vector<float> probs = predictor.probabilities(images);
  const auto classes = static_cast<size_t>(predictor.classes());
  const int k = std::min(o.top, predictor.classes());
  const auto& names = predictor.class_names();

  nlohmann::json predictions = nlohmann::json::array();
  if (o.format == PredictFormat::csv) {
    out << "image";
    for (int r = 1; r <= k; ++r) out << fmt::format(",class{},p{}", r, r);
    out << "\n";
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto top = top_classes(std::span(probs).subspan(i * classes, classes), k);
    switch (o.format) {
      case PredictFormat::table: {
        std::string line = inputs[i].name;
        for (const Ranked& r : top)
          line += fmt::format("  {} {:.1f}%", names[static_cast<size_t>(r.index)],
                              100.0 * r.probability);
        out << line << "\n";
        break;
      }
      case PredictFormat::csv:
        out << csv_field(inputs[i].name);
        for (const Ranked& r : top)
          out << "," << csv_field(names[static_cast<size_t>(r.index)]) << ","
              << fmt::format("{:.6f}", r.probability);
        out << "\n";
        break;
      case PredictFormat::json: {
        nlohmann::json ranked = nlohmann::json::array();
        for (const Ranked& r : top)
          ranked.push_back({{"class", names[static_cast<size_t>(r.index)]},
                            {"index", r.index},
                            {"probability", r.probability}});
        predictions.push_back({{"image", inputs[i].name}, {"top", ranked}});
        break;
      }
    }
  }
  if (o.format == PredictFormat::json) {
    const nlohmann::json answer = {
        {"predictions", predictions},
        {"model",
         {{"run", std::filesystem::absolute(o.run).lexically_normal().string()},
          {"kind", predictor.model_kind()},
          {"classes", predictor.classes()}}}};
    out << answer.dump(2) << "\n";
  }
  out.flush();
  return bad ? kExitUserError : 0;
}

}  // namespace emnist
