#pragma once
// `emnist export`: a finished run's inference graph as an ONNX model (Debian's ONNX library,
// checked by its checker before it is written). Input `input`, float32 [N, 1, 28, 28], upright,
// values 0..1 (x / 255 of the EMNIST-form image); outputs `logits` [N, classes] and
// `probabilities` (their softmax). Batch norm in inference form, dropout left out. Metadata: the
// class names in order, the model kind, the preprocessing contract, the run's test accuracy.
#include <filesystem>

namespace emnist {

struct ExportOptions {
  std::filesystem::path run;
  std::filesystem::path out;  // empty: run/model.onnx
  int opset = 17;             // 13 to 17
  int batch = 0;              // 0: a dynamic batch dimension ("N"); else this fixed size
};

// Writes the model atomically and returns its path. UserError (one line) for a bad run directory,
// an unknown opset, a bad batch or an unwritable output.
std::filesystem::path export_onnx(const ExportOptions& options);

}  // namespace emnist
