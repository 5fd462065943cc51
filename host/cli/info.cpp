#include "emnist/info.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <iomanip>

#include "emnist/backend.hpp"
#include "emnist/cuda_info.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"

namespace emnist {
namespace {

std::string gib(size_t bytes) {
  std::ostringstream ss;
  ss << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1u << 30) << " GiB";
  return ss.str();
}

std::string thousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

void print_build_info(std::ostream& out) {
  out << "emnist " << EMNIST_VERSION << "\n";
  const CudaStatus cuda = query_cuda();
  if (!cuda.compiled) {
    out << "build: CPU only (no CUDA backend)\n";
  } else {
    out << "build: CUDA backend compiled (CUDA runtime " << cuda_version_name(cuda.runtime_version)
        << ", cuBLAS " << cuda.cublas_version << ", cuDNN " << cuda.cudnn_version << ")\n";
    out << "driver: " << (cuda.driver_version > 0 ? cuda_version_name(cuda.driver_version) : "none")
        << "\n";
  }
  const CpuInfo cpu = cpu_info();
  out << "CPU: " << cpu.library << ", " << cpu.isa << ", " << cpu.threads
      << " OpenMP threads, batch norm and elementwise loops " << cpu.loops
      << "; train.precision tf32: Winograd convolutions "
      << (cpu.winograd ? "yes" : "no (no AVX-512)") << ", bf16: bfloat16 convolutions "
      << (cpu.bf16_amx ? "on AMX" : "no (no AMX: fp32)") << "\n";
  if (cuda.gpus.empty()) {
    out << "GPUs: none (" << cuda.no_gpu_reason << ")\n";
  } else {
    for (const auto& g : cuda.gpus)
      out << "GPU " << g.index << ": " << g.name << ", compute capability " << g.cc_major << "."
          << g.cc_minor << ", " << g.multiprocessors << " SMs, " << gib(g.total_bytes) << " ("
          << gib(g.free_bytes) << " free)\n";
  }
}

void print_data_info(std::ostream& out, const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw UserError(dir.string() +
                    ": no such data directory (give --data the folder that holds the "
                    "IDX .gz or CSV files)");
  const auto found = scan_data_dir(dir);
  out << "data: " << dir.string() << "\n";
  if (found.empty()) {
    out << "  no dataset found (expected official names such as "
           "emnist-balanced-train-images-idx3-ubyte.gz, emnist-balanced-train.csv or "
           "train-images-idx3-ubyte.gz)\n";
    return;
  }
  for (const auto& files : found) {
    std::vector<std::string> names;
    if (!files.mapping.empty()) names = class_names_from_mapping(read_mapping(files.mapping));
    out << "  " << files.name << " (" << dataset_title(files.name) << ", "
        << choice_name(files.format) << ")\n";
    for (const auto& split : summarize_dataset(files)) {
      const auto [lo, hi] = std::minmax_element(split.per_class.begin(), split.per_class.end());
      const auto present = std::count_if(split.per_class.begin(), split.per_class.end(),
                                         [](int64_t c) { return c > 0; });
      out << "    " << split.split << ": " << thousands(split.count)
          << (split.labels_only ? " labels (no images)" : " images") << " in " << present;
      if (static_cast<size_t>(present) < split.per_class.size())
        out << " of " << split.per_class.size();
      out << " classes";
      if (!split.per_class.empty())
        out << ", " << thousands(*lo) << " to " << thousands(*hi) << " per class";
      out << "\n      per class:";
      for (size_t c = 0; c < split.per_class.size(); ++c) {
        if (c % 10 == 0) out << "\n       ";
        const std::string name = c < names.size() ? names[c] : std::to_string(c);
        out << " " << std::setw(3) << name << " " << std::setw(6) << split.per_class[c];
      }
      out << "\n";
    }
  }
}

}  // namespace emnist
