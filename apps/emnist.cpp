// The `emnist` command line: parse, call the library, map errors to exit codes (2: the user's
// input, 1: anything else).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "choice_option.hpp"
#include "emnist/bench.hpp"
#include "emnist/config.hpp"
#include "emnist/cuda_info.hpp"
#include "emnist/data.hpp"
#include "emnist/error.hpp"
#include "emnist/info.hpp"
#include "emnist/interrupt.hpp"
#include "emnist/log_file.hpp"
#include "emnist/onnx_export.hpp"
#include "emnist/predict.hpp"
#include "emnist/report_page.hpp"
#include "emnist/run_dir.hpp"
#include "emnist/serve.hpp"
#include "emnist/trainer.hpp"
#include "experiments.hpp"

namespace {

// CLI11's words, with what the user most likely meant: a command that does not exist named, and
// the global flags shown in their place.
std::string parse_error_text(const CLI::App& app, const std::string& what, int argc, char** argv) {
  if (what.find("A subcommand is required") != std::string::npos && argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
    return fmt::format("'{}' is not a command; the commands are {}", argv[1],
                       fmt::join(names, ", "));
  }
  for (const char* flag : {"--quiet", "-q", "--verbose", "-v"})
    if (what.find(std::string("not expected: ") + flag) != std::string::npos)
      return what + "; --quiet and --verbose go before the command, e.g. emnist --quiet train ...";
  return what;
}

struct TrainOptions {
  std::string config, data, device, out, resume;
  std::vector<std::string> sets;
  bool force = false;
};

emnist::Config resolve_config(const TrainOptions& o) {
  emnist::Config config = o.config.empty() ? emnist::Config{} : emnist::load_config(o.config);
  if (!o.data.empty()) config.data.dir = o.data;
  if (!o.device.empty()) emnist::apply_override(config, "train.device=" + o.device);
  for (const auto& s : o.sets) emnist::apply_override(config, s);
  emnist::validate(config);
  return config;
}

void write_report(const std::filesystem::path& run_dir) {
  // The run's results are all on disk by now: plots are a bonus that must not fail the training.
  try {
    emnist::make_report(run_dir);
  } catch (const emnist::PlotDependencyMissing& e) {
    spdlog::info("plots skipped: {}", e.what());
  } catch (const std::exception& e) {
    spdlog::warn("plots skipped: {} (retry with: emnist report {})", e.what(), run_dir.string());
  }
}

// run_log: the run's train.log, held by main() so that the error it reports lands in the file too.
int resume_train(const TrainOptions& o, std::optional<emnist::ScopedLogFile>& run_log) {
  const std::filesystem::path run_dir = o.resume;
  std::vector<std::string> sets;
  if (!o.data.empty()) sets.push_back("data.dir=" + o.data);
  if (!o.device.empty()) sets.push_back("train.device=" + o.device);
  sets.insert(sets.end(), o.sets.begin(), o.sets.end());
  const emnist::DirectoryLock lock(run_dir, "the run directory");
  const emnist::Resume resume = emnist::prepare_resume(run_dir, sets);
  auto backend = emnist::make_backend(resume.config.train.device, &resume.config.train);
  run_log.emplace(emnist::RunFiles(run_dir).log());
  spdlog::info("run directory {} (resumed)", run_dir.string());
  emnist::resume_run(resume, *backend, run_dir);
  write_report(run_dir);
  return 0;
}

int run_train(const TrainOptions& o, std::optional<emnist::ScopedLogFile>& run_log) {
  if (!o.resume.empty()) return resume_train(o, run_log);
  const emnist::Config config = resolve_config(o);
  // Missing data is the commonest first-run mistake: say so before a run directory exists.
  const auto files = emnist::dataset_files(config.data);
  if (!files.has_images())
    emnist::load_dataset(config.data);  // throws, saying which files to put where
  auto backend = emnist::make_backend(config.train.device, &config.train);
  const std::string stem =
      o.config.empty() ? "run" : std::filesystem::path(o.config).stem().string();
  if (!o.out.empty()) emnist::prepare_run_out(o.out, o.force);
  const bool existed = !o.out.empty() && std::filesystem::exists(o.out);
  const auto run_dir = emnist::create_run_dir(o.out, "runs", stem);
  const emnist::DirectoryLock lock(run_dir, "the run directory");
  const emnist::RunFiles run_files(run_dir);
  run_log.emplace(run_files.log());
  emnist::write_file_atomic(run_files.config(), emnist::to_toml(config));
  spdlog::info("run directory {}", run_dir.string());
  try {
    emnist::train_run(config, *backend, run_dir);
  } catch (const emnist::UserError&) {
    // A run that stopped before it learnt anything (bad data, a bad split) leaves no folder that
    // looks like a run; one with an epoch or a checkpoint keeps it, to look at or resume.
    std::error_code ec;
    if (!existed && !std::filesystem::exists(run_files.metrics(), ec) &&
        !std::filesystem::exists(run_files.checkpoint(), ec)) {
      run_log.reset();
      std::filesystem::remove_all(run_dir, ec);
    }
    throw;
  }
  write_report(run_dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<emnist::ScopedLogFile> run_log;
  CLI::App app{
      "emnist: train and evaluate handwritten-character classifiers (MLP, CNN, ResNet) on CPU or "
      "GPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("emnist ") + EMNIST_VERSION);
  bool quiet = false, verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors");
  app.add_flag("-v,--verbose", verbose, "Debug output");

  std::string info_data;
  auto* info = app.add_subcommand("info", "Build, GPUs, and the datasets in a data directory");
  info->add_option("--data", info_data, "A data directory to describe (validates every file)");

  TrainOptions train_opts;
  auto* train = app.add_subcommand("train", "Train a model from a TOML config");
  auto* train_config =
      train
          ->add_option("-c,--config", train_opts.config,
                       "Config file (default: built-in defaults, the reference CNN)")
          ->check(CLI::ExistingFile);
  train->add_option("--data", train_opts.data, "Data directory (sets data.dir)");
  train->add_option("--device", train_opts.device, "auto, cpu or cuda (sets train.device)")
      ->check(one_of<emnist::DeviceChoice>());
  auto* train_out = train->add_option("-o,--out", train_opts.out,
                                      "Run directory (default: runs/<config>-<time>)");
  train->add_option("--set", train_opts.sets, "section.key=value, applied after the file in order");
  train
      ->add_option(
          "--resume", train_opts.resume,
          "Continue an interrupted run from its run directory's checkpoint (its own config.toml; "
          "--set may change only data.dir, train.device, train.epochs, train.lr, train.log_every)")
      ->check(CLI::ExistingDirectory)
      ->excludes(train_config)
      ->excludes(train_out);
  train
      ->add_flag("--force", train_opts.force,
                 "Let --out replace the run already there (its files only; other files stay)")
      ->needs(train_out);

  std::vector<std::string> eval_runs;
  std::string eval_split = "test", eval_device = "auto", eval_data, eval_weights = "last", eval_out;
  auto* eval =
      app.add_subcommand("eval", "Evaluate a trained run's model again from its run directory");
  eval->add_option("--run", eval_runs,
                   "The run directory; repeated (--run A --run B ...), an ensemble of the runs "
                   "that averages their probabilities (needs --out)")
      ->required()
      ->check(CLI::ExistingDirectory);
  eval->add_option("--out", eval_out,
                   "An ensemble's folder for its split files and ensemble.json (created if "
                   "missing)");
  eval->add_option("--split", eval_split, "test, val or train")
      ->check(CLI::IsMember({"test", "val", "train"}));
  eval->add_option("--device", eval_device, "auto, cpu or cuda")
      ->check(one_of<emnist::DeviceChoice>());
  eval->add_option("--data", eval_data,
                   "Data directory, when the data has moved since training (default: the run's "
                   "data.dir)");
  eval->add_option("--weights", eval_weights,
                   "last (model.safetensors: the last epoch's, or its average with train.ema) or "
                   "best (model_best.safetensors: the epoch with the best validation accuracy; "
                   "files named <split>_best)")
      ->check(CLI::IsMember({"last", "best"}));

  std::string predict_run, predict_device = "auto", predict_format = "table";
  std::vector<std::string> predict_inputs;
  int predict_top = 5;
  auto* predict = app.add_subcommand(
      "predict",
      "Classify image files (PNG, JPEG, PGM; or IDX files of 28x28 images) with a trained run");
  predict->add_option("--run", predict_run, "The run directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  predict
      ->add_option("inputs", predict_inputs,
                   "Image files, or folders (their .png, .jpg, .jpeg and .pgm files)")
      ->required();
  predict->add_option("--top", predict_top, "How many classes to show per image (default 5)")
      ->check(CLI::Range(1, 1000000));
  predict->add_option("--format", predict_format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  predict->add_option("--device", predict_device, "auto, cpu or cuda")
      ->check(one_of<emnist::DeviceChoice>());

  emnist::ServeOptions serve_opts;
  std::string serve_device = "auto";
  auto* serve = app.add_subcommand(
      "serve",
      "Serve a trained run over HTTP: a JSON API and a drawing page (loopback by default)");
  serve->add_option("--run", serve_opts.run, "The run directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  serve->add_option("--host", serve_opts.host,
                    "Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every "
                    "interface)");
  serve->add_option("--port", serve_opts.port, "Port (default 8080; 0: any free one)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--device", serve_device, "auto, cpu or cuda")
      ->check(one_of<emnist::DeviceChoice>());
  serve
      ->add_option("--max-body", serve_opts.max_body_bytes,
                   "Largest request body in bytes (default 4 MiB)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30));
  serve
      ->add_option("--max-side", serve_opts.limits.max_width,
                   "Largest image width or height in pixels (default 4096)")
      ->check(CLI::Range(int64_t{28}, int64_t{65535}))
      ->each(
          [&](const std::string&) { serve_opts.limits.max_height = serve_opts.limits.max_width; });
  serve
      ->add_option("--max-images", serve_opts.max_images,
                   "Most images in one request (default 256)")
      ->check(CLI::Range(1, 100000));
  serve
      ->add_option("--queue", serve_opts.queue_length,
                   "Requests waiting for inference before 503 (default 64)")
      ->check(CLI::Range(1, 100000));
  serve
      ->add_option("--read-timeout", serve_opts.read_timeout_seconds,
                   "Seconds to wait for a request's bytes (default 10)")
      ->check(CLI::Range(1, 3600));
  serve->add_option("--connections", serve_opts.connections, "Requests handled at once (default 8)")
      ->check(CLI::Range(1, 1024));
  serve
      ->add_option("--max-batch", serve_opts.max_batch,
                   "Images the inference worker sends to the backend at once (default 64)")
      ->check(CLI::Range(1, 4096));

  emnist::ExportOptions export_opts;
  std::string export_batch = "dynamic";
  auto* export_cmd = app.add_subcommand(
      "export", "Write a trained run's model as ONNX (for ONNX Runtime, TensorRT and others)");
  export_cmd->add_option("--run", export_opts.run, "The run directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  export_cmd->add_option("--out", export_opts.out, "The ONNX file (default RUN/model.onnx)");
  export_cmd->add_option("--opset", export_opts.opset, "ONNX opset, 13 to 17 (default 17)");
  export_cmd->add_option("--batch", export_batch,
                         "dynamic (default: any batch size) or a fixed batch size");

  std::string report_run_dir;
  auto* report =
      app.add_subcommand("report", "Plots and a self-contained report.html for a run directory");
  report->add_option("run", report_run_dir, "The run directory")
      ->required()
      ->check(CLI::ExistingDirectory);

  std::string bench_device = "auto", bench_model = "cnn", bench_data;
  int bench_batch = 128, bench_steps = 50;
  auto* bench = app.add_subcommand("bench", "Training throughput of a reference model");
  bench->add_option("--device", bench_device, "auto, cpu or cuda")
      ->check(one_of<emnist::DeviceChoice>());
  bench->add_option("--model", bench_model, "mlp, cnn or resnet (configs/resnet.toml's network)")
      ->check(one_of<emnist::ModelKind>());
  bench->add_option("--batch", bench_batch, "Batch size")->check(CLI::Range(1, 65536));
  bench->add_option("--steps", bench_steps, "Timed steps (after warm-up)")
      ->check(CLI::Range(1, 1000000));
  bench->add_option("--data", bench_data,
                    "Time real EMNIST ByMerge images from this folder (default: random inputs)");
  std::string bench_precision = "fp32";
  bench
      ->add_option("--precision", bench_precision,
                   "fp32 (strict), tf32 or bf16 (CUDA: tensor-core math; CPU: tf32 allows Winograd "
                   "convolutions, bf16 bfloat16 ones on AMX)")
      ->check(one_of<emnist::Precision>());
  std::string bench_feeder = "auto";
  bench
      ->add_option("--feeder", bench_feeder,
                   "auto (what training uses: resident on a GPU), resident, pinned")
      ->check(one_of<emnist::FeederChoice>());
  bool bench_profile = false;
  bench->add_flag(
      "--profile", bench_profile,
      "CPU: print the time per step of every layer and direction, the loss and the optimizer. "
      "CUDA: run the timed steps between cudaProfilerStart/Stop (for ncu --profile-from-start "
      "off, nsys --capture-range=cudaProfilerApi); use few --steps");

  ExperimentCommands experiments;
  add_experiment_commands(app, experiments);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "emnist: " << parse_error_text(app, e.what(), argc, argv)
              << " (see emnist --help)\n";
    return emnist::kExitUserError;
  }

  auto console = spdlog::stderr_color_mt("emnist");
  console->set_pattern("%^[%H:%M:%S]%$ %v");
  spdlog::set_default_logger(console);
  // --quiet quiets the console only: a run's train.log holds the whole log whatever it shows.
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  if (quiet) console->sinks().front()->set_level(spdlog::level::warn);
  spdlog::flush_on(spdlog::level::info);

  try {
    if (*info) {
      emnist::print_build_info(std::cout);
      if (!info_data.empty()) emnist::print_data_info(std::cout, info_data);
      return 0;
    }
    if (*train) return run_train(train_opts, run_log);
    if (auto rc = run_experiment_command(experiments)) return *rc;
    if (*eval) {
      auto backend =
          emnist::make_backend(emnist::parse_choice<emnist::DeviceChoice>(eval_device, "--device"));
      const auto weights =
          eval_weights == "best" ? emnist::EvalWeights::best : emnist::EvalWeights::last;
      if (eval_runs.size() > 1) {
        if (eval_out.empty())
          throw emnist::UserError(
              "eval with several --run is an ensemble: give --out, the folder for its files");
        std::filesystem::create_directories(eval_out);
        const emnist::DirectoryLock lock(eval_out, "the ensemble's folder");
        emnist::eval_ensemble({eval_runs.begin(), eval_runs.end()}, eval_split, *backend, eval_out,
                              eval_data, weights);
        return 0;
      }
      if (!eval_out.empty())
        throw emnist::UserError(
            "--out is for an ensemble (several --run); eval of one run writes "
            "into its run directory");
      const emnist::DirectoryLock lock(eval_runs.front(), "the run directory");
      emnist::eval_run(eval_runs.front(), eval_split, *backend, eval_data, weights);
      return 0;
    }
    if (*predict) {
      auto backend = emnist::make_backend(
          emnist::parse_choice<emnist::DeviceChoice>(predict_device, "--device"));
      emnist::PredictOptions o;
      o.run = predict_run;
      o.inputs.assign(predict_inputs.begin(), predict_inputs.end());
      o.top = predict_top;
      o.format = predict_format == "csv"    ? emnist::PredictFormat::csv
                 : predict_format == "json" ? emnist::PredictFormat::json
                                            : emnist::PredictFormat::table;
      return emnist::run_predict(o, *backend, std::cout, std::cerr);
    }
    if (*serve) {
      const auto device = emnist::parse_choice<emnist::DeviceChoice>(serve_device, "--device");
      return emnist::run_serve(serve_opts, [device] { return emnist::make_backend(device); });
    }
    if (*export_cmd) {
      if (export_batch != "dynamic") {
        size_t used = 0;
        int batch = 0;
        try {
          batch = std::stoi(export_batch, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != export_batch.size() || batch < 1)
          throw emnist::UserError("--batch " + export_batch +
                                  ": give dynamic or a batch size of at least 1");
        export_opts.batch = batch;
      }
      const auto written = emnist::export_onnx(export_opts);
      spdlog::info("wrote {}", written.string());
      return 0;
    }
    if (*report) {
      emnist::make_report(report_run_dir);
      return 0;
    }
    if (*bench) {
      emnist::TrainConfig bench_config;
      bench_config.precision =
          emnist::parse_choice<emnist::Precision>(bench_precision, "--precision");
      auto backend = emnist::make_backend(
          emnist::parse_choice<emnist::DeviceChoice>(bench_device, "--device"), &bench_config);
      std::unique_ptr<emnist::Dataset> data;
      if (!bench_data.empty())
        data = std::make_unique<emnist::Dataset>(emnist::load_bench_data(bench_data));
      const auto r =
          emnist::bench(*backend, emnist::parse_choice<emnist::ModelKind>(bench_model, "--model"),
                        bench_batch, bench_steps, data.get(), bench_profile,
                        emnist::parse_choice<emnist::FeederChoice>(bench_feeder, "--feeder"));
      std::cout << emnist::bench_report(r, bench_config.precision, data != nullptr);
      return 0;
    }
  } catch (const emnist::UserError& e) {
    spdlog::error("{}", e.what());
    return emnist::kExitUserError;
  } catch (const emnist::Interrupted& e) {
    spdlog::warn("{}", e.what());
    return 128 + e.signal();
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return 1;
  }
  return 0;
}
