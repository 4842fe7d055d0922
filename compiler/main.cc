// adlik_compiler: compiles a trained model for a serving target and writes a
// model repository that adlik_serving loads unchanged. A thin shell over the
// compiler library (compiler.h): it parses the request, prints the path and
// the progress, and turns the result into an exit status:
//   0  compiled and written
//   1  the compilation failed (bad model, unreachable target, numeric check)
//   2  the request or the command line is wrong
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "compiler.h"
#include "default_graph.h"
#include "runtime_host/runtime_registry.h"
#include "sources/python_converter.h"
#include "targets.h"

namespace adlik::compiler {
namespace {

constexpr char kUsage[] =
    "usage: adlik_compiler [--request=FILE.json] [--KEY=VALUE ...] "
    "[--runtime_dir=DIR]\n"
    "       adlik_compiler --list_passes\n"
    "       adlik_compiler --list_paths=MODEL   (a model file or folder, or "
    "a source format)\n"
    "\n"
    "Compiles input_model for serving_type and writes "
    "EXPORT/NAME/VERSION/model.<ext>,\n"
    "EXPORT/NAME/config.pbtxt and EXPORT/NAME_VERSION.zip. Keys come from the "
    "JSON\n"
    "file, from flags, or both (flags win). Lists are comma-separated; "
    "input_shapes\n"
    "is NAME:D0xD1x...,NAME:...; a boolean flag alone means true.\n"
    "\n"
    "--runtime_dir=DIR: the runtime plugins (libadlik_runtime_NAME.so) that "
    "serve\n"
    "the targets; they describe the files and config a target needs and run "
    "the\n"
    "numeric check. Default: the folder of this binary, as for "
    "adlik_serving.\n"
    "\n"
    "A model that is not ONNX is converted by its framework's own tool, a "
    "Python\n"
    "script in DIR/converters (--converter_dir=DIR or ADLIK_CONVERTER_DIR; "
    "default:\n"
    "beside this binary), run by --python=PATH (ADLIK_PYTHON; default "
    "python3) or,\n"
    "for PyTorch, --torch_python=PATH (ADLIK_TORCH_PYTHON; default "
    "/usr/bin/python3).\n"
    "\n"
    "Keys:\n";

void PrintPasses() {
  const ConversionGraph graph = DefaultGraph();
  std::printf("Passes (formats are nodes, passes are edges):\n");
  for (const Pass& p : graph.passes()) {
    std::string edge = FormatName({p.from, p.requires_properties});
    edge += " -> ";
    edge += FormatName({p.to, p.adds_properties});
    std::printf("  %-20s %-34s %s\n", p.name.c_str(), edge.c_str(),
                p.description.c_str());
    std::printf("  %-20s %-34s %s\n", "", "",
                p.available() ? "available"
                              : ("unavailable: needs " + p.Missing()).c_str());
  }
  std::printf("Targets (serving_type): %s\n", TargetNames().c_str());
}

// What the graph reaches from `source` (a model file or folder, or a
// source format's name) on this machine, and why the rest is unreachable.
int PrintPaths(const std::string& source) {
  std::error_code ec;
  Format format{source};
  if (std::filesystem::exists(source, ec)) {
    StatusOr<Format> found = SourceFormat(source);
    if (!found.ok()) {
      std::fprintf(stderr, "adlik_compiler: %s\n",
                   found.status().message().c_str());
      return 2;
    }
    format = *found;
  }
  const ConversionGraph graph = DefaultGraph();
  bool known = format.base == "onnx";
  for (const Pass& p : graph.passes()) known = known || p.from == format.base;
  if (!known) {
    std::fprintf(stderr,
                 "adlik_compiler: --list_paths: '%s' is neither a model "
                 "file or folder nor a source format (see --list_passes)\n",
                 source.c_str());
    return 2;
  }
  std::printf("From %s:\n", FormatName(format).c_str());
  std::string names = TargetNames();
  for (size_t at = 0; at <= names.size();) {
    size_t comma = names.find(", ", at);
    if (comma == std::string::npos) comma = names.size();
    const std::string name = names.substr(at, comma - at);
    at = comma + 2;
    StatusOr<Target> target = FindTarget(name);
    if (!target.ok()) continue;
    StatusOr<Path> path =
        graph.FindPath(format, target->format, target->required_properties);
    if (path.ok()) {
      std::printf("  %-14s %s\n", name.c_str(), DescribePath(*path).c_str());
    } else {
      std::printf("  %-14s unreachable: %s\n", name.c_str(),
                  path.status().message().c_str());
    }
  }
  return 0;
}

// Whether a progress line was started and not finished.
bool progress_line_open = false;

// On a terminal, a running step shows a bar that moves while it works (the
// passes report no fraction done) and the seconds so far; elsewhere the
// line is printed once, when the step starts, and finished when it ends.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDOUT_FILENO) == 1) {}
  ~ProgressBar() { Stop(); }

  bool enabled() const { return enabled_; }

  void Start(std::string label) {
    Stop();
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = true;
    }
    thread_ = std::thread([this, label = std::move(label)] {
      const auto start = std::chrono::steady_clock::now();
      constexpr int kWidth = 20;
      std::unique_lock<std::mutex> lock(mu_);
      for (int tick = 0; running_; ++tick) {
        std::string bar(kWidth, ' ');
        const int pos = tick % (2 * (kWidth - 3));
        const int at = pos < kWidth - 3 ? pos : 2 * (kWidth - 3) - pos;
        bar.replace(at, 3, "<=>");
        const double seconds = std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
        std::printf("\r%s [%s] %.1f s ", label.c_str(), bar.c_str(), seconds);
        std::fflush(stdout);
        wake_.wait_for(lock, std::chrono::milliseconds(100));
      }
      // Clear the bar; the caller prints the finished line.
      std::printf("\r%*s\r", static_cast<int>(label.size()) + kWidth + 16, "");
      std::fflush(stdout);
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  const bool enabled_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool running_ = false;
  std::thread thread_;
};

ProgressBar* progress_bar = nullptr;
std::string progress_label;

void PrintProgress(const ProgressEvent& e) {
  if (e.name == "plan") {
    std::printf("Compile path: %s\n", e.detail.c_str());
    std::fflush(stdout);
    return;
  }
  char label[64];
  if (e.step > 0) {
    std::snprintf(label, sizeof label, "[%d/%d] %s", e.step, e.steps,
                  e.name.c_str());
  } else {
    std::snprintf(label, sizeof label, "[%s]", e.name.c_str());
  }
  if (e.phase == ProgressEvent::Phase::kStart) {
    char line[512];
    std::snprintf(line, sizeof line, "%-22s %s ... ", label, e.detail.c_str());
    progress_label = line;
    if (progress_bar != nullptr && progress_bar->enabled()) {
      progress_bar->Start(progress_label);
    } else {
      std::printf("%s", line);
      std::fflush(stdout);
    }
    progress_line_open = true;
    return;
  }
  if (progress_bar != nullptr && progress_bar->enabled()) {
    progress_bar->Stop();
    std::printf("%s", progress_label.c_str());
  }
  progress_line_open = false;
  std::printf("%s (%.2f s)\n", e.ok ? "done" : "failed", e.seconds);
  if (e.step > 0 && !e.detail.empty()) {
    // A note of several lines (the int8 report) keeps the indentation.
    std::string detail = e.detail;
    for (size_t i = detail.find('\n'); i != std::string::npos;
         i = detail.find('\n', i + 24)) {
      detail.insert(i + 1, 23, ' ');
    }
    std::printf("%22s %s\n", "", detail.c_str());
  }
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "%s%s", kUsage, RequestKeysHelp().c_str());
    return 2;
  }
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::printf("%s%s", kUsage, RequestKeysHelp().c_str());
      return 0;
    }
  }
  // The tool's own flags, not request keys; the converters' settings go to
  // the environment the converter lookup reads (sources/python_converter.h).
  std::string runtime_dir, list_paths;
  const struct {
    std::string_view flag;
    std::string* value;
    const char* env;
  } kToolFlags[] = {{"--runtime_dir", &runtime_dir, nullptr},
                    {"--list_paths", &list_paths, nullptr},
                    {"--python", nullptr, "ADLIK_PYTHON"},
                    {"--torch_python", nullptr, "ADLIK_TORCH_PYTHON"},
                    {"--converter_dir", nullptr, "ADLIK_CONVERTER_DIR"}};
  for (auto it = args.begin(); it != args.end();) {
    bool taken = false;
    for (const auto& f : kToolFlags) {
      const std::string prefix = std::string(f.flag) + "=";
      if (*it == f.flag ||
          (it->starts_with(prefix) && it->size() == prefix.size())) {
        std::fprintf(stderr, "adlik_compiler: flag %s needs a value: %s=...\n",
                     std::string(f.flag).c_str(), std::string(f.flag).c_str());
        return 2;
      }
      if (!it->starts_with(prefix)) continue;
      const std::string value = it->substr(prefix.size());
      if (f.value != nullptr) *f.value = value;
      if (f.env != nullptr) setenv(f.env, value.c_str(), 1);
      taken = true;
    }
    it = taken ? args.erase(it) : it + 1;
  }
  for (const std::string& a : args) {
    if (a == "--list_passes") {
      PrintPasses();
      return 0;
    }
  }
  if (!list_paths.empty()) return PrintPaths(list_paths);
  if (runtime_dir.empty()) {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    runtime_dir = ec ? "." : self.parent_path().string();
  }
  StatusOr<CompileRequest> request = ParseRequestFlags(args);
  if (!request.ok()) {
    std::fprintf(stderr, "adlik_compiler: %s\n",
                 request.status().message().c_str());
    return 2;
  }
  request->runtime_dir = runtime_dir;
  RuntimeRegistry runtimes(
      runtime_dir,
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  ProgressBar bar;
  progress_bar = &bar;
  StatusOr<CompileResult> result =
      CompileFile(*request, runtimes, PrintProgress);
  bar.Stop();
  if (!result.ok()) {
    if (progress_line_open) std::printf("failed\n");
    std::fflush(stdout);
    std::fprintf(stderr, "adlik_compiler: error: %s\n",
                 result.status().ToString().c_str());
    return 1;
  }
  for (const std::string& w : result->warnings)
    std::printf("warning: %s\n", w.c_str());
  if (result->check) {
    std::printf(
        "Numeric check (runtime %s, seed %llu, inputs %s):\n  %s\n",
        result->runtime.c_str(), static_cast<unsigned long long>(request->seed),
        result->check->inputs.c_str(), result->check->Summary().c_str());
    for (const auto& o : result->check->outputs) {
      std::printf(
          "  output '%s': max abs error %.3g, max rel error %.3g (max |ref| "
          "%.3g)\n",
          o.name.c_str(), o.max_abs_error, o.max_rel_error, o.max_reference);
    }
  } else {
    std::printf("Numeric check: skipped (%s)\n", result->check_skipped.c_str());
  }
  std::printf("Wrote version %lld:\n  %s\n",
              static_cast<long long>(result->written.version),
              result->written.model_file.c_str());
  for (const auto& f : result->written.side_files)
    std::printf("  %s\n", f.c_str());
  std::printf("  %s\n  %s\n", result->written.config_file.c_str(),
              result->written.zip_file.c_str());
  return 0;
}

}  // namespace
}  // namespace adlik::compiler

int main(int argc, char** argv) {
  // The runtimes' informational lines would bury the progress.
  adlik::SetMinLogLevel(adlik::LogLevel::kWarning);
  // No telemetry from ONNX Runtime's official build, here or in the Python
  // the compiler starts (quantisation, converters): both read it at start.
  setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
  return adlik::compiler::Main(argc, argv);
}
