#include "quantize/int8.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx_model.h"
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

// Runs the script and turns its outcome into the pass's notes or an error.
Status Quantize(const std::string& framework, const fs::path& in,
                const fs::path& out, const CompileRequest& request,
                const fs::path& dir, std::vector<std::string>* notes) {
  std::vector<std::string> args = {"--framework", framework,  "--model",
                                   in.string(),   "--output", out.string()};
  const auto data = DatasetArgs(request);
  args.insert(args.end(), data.begin(), data.end());
  std::string report, message;
  ASSIGN_OR_RETURN(int status, RunScript(args, dir, &report, &message));
  report = Trim(report);
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
  RETURN_IF_ERROR(Quantize("onnx", in, out, request, dir.path(), &model.notes));
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
  RETURN_IF_ERROR(WriteAll(in, *model.engine));
  RETURN_IF_ERROR(
      WriteAll(fs::path(dir.path()) / "fp32.bin", model.side_files[0].bytes));
  RETURN_IF_ERROR(
      Quantize("openvino", in, out, request, dir.path(), &model.notes));
  ASSIGN_OR_RETURN(model.engine, ReadAll(out));
  ASSIGN_OR_RETURN(model.side_files[0].bytes,
                   ReadAll(fs::path(dir.path()) / "int8.bin"));
  return model;
}

}  // namespace adlik::compiler
