// adlik_compiler: compiles a trained model for a serving target and writes a
// model repository that adlik_serving loads unchanged. A thin shell over the
// compiler library (compiler.h): it parses the request, prints the path and
// the progress, and turns the result into an exit status:
//   0  compiled and written
//   1  the compilation failed (bad model, unreachable target, numeric check)
//   2  the request or the command line is wrong
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "compiler.h"
#include "default_graph.h"
#include "runtime_host/runtime_registry.h"
#include "targets.h"

namespace adlik::compiler {
namespace {

constexpr char kUsage[] =
    "usage: adlik_compiler [--request=FILE.json] [--KEY=VALUE ...] "
    "[--runtime_dir=DIR]\n"
    "       adlik_compiler --list_passes\n"
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
                              : ("unavailable: needs " + p.needs).c_str());
  }
  std::printf("Targets (serving_type): %s\n", TargetNames().c_str());
}

// Whether a progress line was started and not finished.
bool progress_line_open = false;

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
    std::printf("%-22s %s ... ", label, e.detail.c_str());
    std::fflush(stdout);
    progress_line_open = true;
    return;
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
    if (a == "--list_passes") {
      PrintPasses();
      return 0;
    }
  }
  // --runtime_dir is the tool's own flag, not a request key.
  std::string runtime_dir;
  for (auto it = args.begin(); it != args.end();) {
    if (it->starts_with("--runtime_dir=")) {
      runtime_dir = it->substr(std::string_view("--runtime_dir=").size());
      it = args.erase(it);
    } else if (*it == "--runtime_dir") {
      std::fprintf(stderr,
                   "adlik_compiler: flag --runtime_dir needs a value: "
                   "--runtime_dir=DIR\n");
      return 2;
    } else {
      ++it;
    }
  }
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
  RuntimeRegistry runtimes(
      runtime_dir,
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  StatusOr<CompileResult> result =
      CompileFile(*request, runtimes, PrintProgress);
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
  return adlik::compiler::Main(argc, argv);
}
