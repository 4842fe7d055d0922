#include "quantize/int8.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "onnx_model.h"
#include "quantize/served_timing.h"
#include "runtime_host/runtime_registry.h"
#include "temp_dir.h"

extern char** environ;

namespace adlik::compiler {
namespace {

namespace fs = std::filesystem;

StatusOr<std::string> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Internal("cannot read '" + path.string() + "'");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status WriteAll(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Internal("cannot write '" + path.string() + "'");
  return Status::Ok();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs python3 SCRIPT ARGS with stdout and stderr to files in `dir`; returns
// the exit status, `out` and `err`.
StatusOr<int> RunScript(const std::vector<std::string>& args,
                        const fs::path& dir, std::string* out,
                        std::string* err) {
  ASSIGN_OR_RETURN(std::string script, QuantizeScript());
  std::vector<std::string> argv_s = {"python3", script};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out_path = (dir / "stdout").string();
  const std::string err_path = (dir / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Unimplemented(
        "int8 quantisation runs python3, which cannot be started: " +
        std::string(std::strerror(spawned)));
  }
  int wstatus = 0;
  if (waitpid(pid, &wstatus, 0) < 0) {
    return Internal("waiting for python3: " +
                    std::string(std::strerror(errno)));
  }
  ASSIGN_OR_RETURN(*out, ReadAll(out_path));
  ASSIGN_OR_RETURN(std::string err_text, ReadAll(err_path));
  *err = Trim(std::move(err_text));
  if (!WIFEXITED(wstatus)) return Internal("python3 " + script + " crashed");
  return WEXITSTATUS(wstatus);
}

// The runtime plugins of `runtime_dir` ("": beside the running binary, where
// adlik_compiler finds them by default), one thread each, as the bare side
// runs. Made once, for the first folder asked: a compile has one. Never
// destroyed: plugins are never unloaded either.
RuntimeRegistry& TimingRuntimes(const std::string& runtime_dir) {
  static RuntimeRegistry* registry = [&] {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return new RuntimeRegistry(!runtime_dir.empty() ? runtime_dir
                               : ec                 ? "."
                                    : self.parent_path().string(),
                               1);
  }();
  return *registry;
}

std::string Ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", ms);
  return text;
}

std::string Ratio(double r) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", r);
  return text;
}

// The report's served lines: fp32 and int8 through `runtime_name`'s plugin on
// the samples the script wrote to `samples`, beside the bare times it
// measured; or why they were not measured.
std::string ServedLines(const std::string& runtime_name,
                        const CompileRequest& request,
                        const onnx::ModelProto& onnx, const ServedModel& fp32,
                        const ServedModel& int8, const fs::path& samples) {
  auto lines = [&]() -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(auto data, ReadSamples(samples.string()));
    ASSIGN_OR_RETURN(std::string bare, ReadAll(samples / "bare_ms.txt"));
    double bare32 = 0, bare8 = 0;
    std::istringstream(bare) >> bare32 >> bare8;
    if (!(bare32 > 0 && bare8 > 0)) {
      return Internal("bare_ms.txt holds no two times: '" + Trim(bare) + "'");
    }
    ASSIGN_OR_RETURN(RuntimePlugin * runtime,
                     TimingRuntimes(request.runtime_dir).Get(runtime_name));
    host::ModelSpec spec;
    spec.name = request.model_name;
    spec.max_batch_size = request.max_batch_size;
    onnx::ModelProto inferred = onnx;
    if (InferShapes(&inferred).ok()) {
      auto declared = OnnxSignature(inferred);
      if (declared.ok()) spec.declared = *std::move(declared);
    }
    ASSIGN_OR_RETURN(double served32, TimeServed(*runtime, spec, fp32, data));
    ASSIGN_OR_RETURN(double served8, TimeServed(*runtime, spec, int8, data));
    return "  served (" + runtime_name +
           " plugin in-process, 1 thread, batch 1): fp32 " + Ms(served32) +
           " ms, int8 " + Ms(served8) + " ms per sample (int8/fp32 " +
           Ratio(served8 / served32) + ")\n  served/bare: fp32 " +
           Ratio(served32 / bare32) + ", int8 " + Ratio(served8 / bare8);
  }();
  if (!lines.ok())
    return "  served: not measured (" + lines.status().message() + ")";
  return *lines;
}

std::vector<std::string> DatasetArgs(const CompileRequest& r) {
  std::vector<std::string> a = {
      "--calibration", r.calibration_dataset,
      "--validation",  r.validation_dataset,
      "--mean",        std::to_string(r.image_mean),
      "--std",         std::to_string(r.image_std),
      "--max-loss",    std::to_string(r.max_accuracy_loss)};
  if (!r.validation_labels.empty()) {
    a.insert(a.end(), {"--labels", r.validation_labels});
  }
  if (!r.input_formats.empty() &&
      r.input_formats[0] == InputFormat::kChannelsLast) {
    a.insert(a.end(), {"--layout", "nhwc"});
  }
  return a;
}

// Runs the script, times both models served, and turns the outcome into the
// pass's notes or an error. `read_int8` reads the model the script wrote.
Status Quantize(const std::string& framework, const fs::path& in,
                const fs::path& out, const CompileRequest& request,
                const onnx::ModelProto& onnx, const ServedModel& fp32,
                const std::function<StatusOr<ServedModel>()>& read_int8,
                const fs::path& dir, std::vector<std::string>* notes) {
  const fs::path samples = dir / "samples";
  std::vector<std::string> args = {"--framework", framework,       "--model",
                                   in.string(),   "--output",      out.string(),
                                   "--samples",   samples.string()};
  const auto data = DatasetArgs(request);
  args.insert(args.end(), data.begin(), data.end());
  std::string report, message;
  ASSIGN_OR_RETURN(int status, RunScript(args, dir, &report, &message));
  report = Trim(report);
  if (status == 0 || status == 3) {
    ASSIGN_OR_RETURN(ServedModel int8, read_int8());
    report +=
        "\n" + ServedLines(framework == "onnx" ? "onnxruntime" : framework,
                           request, onnx, fp32, int8, samples);
  }
  const std::string last = message.substr(
      message.rfind('\n') == std::string::npos ? 0 : message.rfind('\n') + 1);
  switch (status) {
    case 0:
      notes->push_back(report);
      return Status::Ok();
    case 3:
      return Internal(last +
                      "; nothing was written (raise "
                      "max_accuracy_loss to accept it)\n" +
                      report);
    case 2:
      return InvalidArgument(last);
    case 4:
      return Unimplemented(last);
    default:
      return Internal("int8 quantisation (" + framework +
                      ") failed: " + message);
  }
}

}  // namespace

StatusOr<std::string> QuantizeScript() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path beside = self.parent_path() / "adlik_quantize.py";
  if (!ec && fs::exists(beside, ec)) return beside.string();
  if (fs::exists(ADLIK_QUANTIZE_SCRIPT_SOURCE, ec))
    return std::string(ADLIK_QUANTIZE_SCRIPT_SOURCE);
  return NotFound(
      "int8 quantisation needs adlik_quantize.py, which is not in '" +
      beside.parent_path().string() + "' nor at '" +
      ADLIK_QUANTIZE_SCRIPT_SOURCE + "'");
}

StatusOr<Artifact> QuantizeOnnx(Artifact model, const CompileRequest& request) {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const fs::path in = fs::path(dir.path()) / "fp32.onnx";
  const fs::path out = fs::path(dir.path()) / "int8.onnx";
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model.onnx));
  RETURN_IF_ERROR(WriteAll(in, bytes));
  auto read_int8 = [&]() -> StatusOr<ServedModel> {
    ASSIGN_OR_RETURN(std::string int8, ReadAll(out));
    return ServedModel{std::move(int8), {}};
  };
  RETURN_IF_ERROR(Quantize("onnx", in, out, request, model.onnx,
                           ServedModel{std::move(bytes), {}}, read_int8,
                           dir.path(), &model.notes));
  ASSIGN_OR_RETURN(model.onnx, ReadOnnxFile(out.string()));
  return model;
}

StatusOr<Artifact> QuantizeOpenVino(Artifact model,
                                    const CompileRequest& request) {
  if (!model.engine || model.side_files.size() != 1) {
    return Internal("the openvino model has no model.xml and model.bin");
  }
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const fs::path in = fs::path(dir.path()) / "fp32.xml";
  const fs::path out = fs::path(dir.path()) / "int8.xml";
  const fs::path out_bin = fs::path(dir.path()) / "int8.bin";
  RETURN_IF_ERROR(WriteAll(in, *model.engine));
  RETURN_IF_ERROR(
      WriteAll(fs::path(dir.path()) / "fp32.bin", model.side_files[0].bytes));
  auto read_int8 = [&]() -> StatusOr<ServedModel> {
    ASSIGN_OR_RETURN(std::string xml, ReadAll(out));
    ASSIGN_OR_RETURN(std::string bin, ReadAll(out_bin));
    return ServedModel{std::move(xml), {SideFile{".bin", std::move(bin)}}};
  };
  RETURN_IF_ERROR(Quantize("openvino", in, out, request, model.onnx,
                           ServedModel{*model.engine, model.side_files},
                           read_int8, dir.path(), &model.notes));
  ASSIGN_OR_RETURN(model.engine, ReadAll(out));
  ASSIGN_OR_RETURN(model.side_files[0].bytes, ReadAll(out_bin));
  return model;
}

}  // namespace adlik::compiler
