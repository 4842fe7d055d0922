#include "sources/python_converter.h"

#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "onnx_model.h"
#include "sources/npy.h"
#include "temp_dir.h"

extern char** environ;

namespace adlik::compiler {
namespace {
namespace fs = std::filesystem;

std::string Env(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The last lines of a process's output, for an error message.
std::string Tail(const std::string& text) {
  constexpr size_t kMax = 4000;
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (t.size() > kMax) t = "..." + t.substr(t.size() - kMax);
  return t;
}

struct Exit {
  int code = -1;       // exit status, or -1 when it did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (looked up in PATH) with stdout and stderr into `log`.
StatusOr<Exit> Spawn(const std::vector<std::string>& argv,
                     const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr,
                              args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return NotFound("cannot run the Python interpreter '" + argv[0] +
                    "': " + std::strerror(rc));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return Exit{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(log)};
}

void Strings(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key,
             const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& v : values) w.String(v.c_str());
  w.EndArray();
}

// The request's keys a converter reads, as converter_main.py describes.
std::string OptionsJson(const std::string& format,
                        const CompileRequest& request) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format");
  w.String(format.c_str());
  w.Key("max_batch_size");
  w.Int(request.max_batch_size);
  Strings(w, "input_names", request.input_names);
  Strings(w, "output_names", request.output_names);
  Strings(w, "signature_keys", request.signature_keys);
  Strings(w, "saved_model_tags", request.saved_model_tags);
  Strings(w, "input_layer_names", request.input_layer_names);
  Strings(w, "output_layer_names", request.output_layer_names);
  if (request.opset_version) {
    w.Key("opset_version");
    w.Int64(*request.opset_version);
  }
  w.Key("input_shapes");
  w.StartObject();
  for (const auto& [name, dims] : request.input_shapes) {
    w.Key(name.c_str());
    w.StartArray();
    for (int64_t d : dims) w.Int64(d);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Internal("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace

std::string ConverterDir() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return Env(
      "ADLIK_CONVERTER_DIR",
      ((ec ? fs::path(".") : self.parent_path()) / "converters").string());
}

std::string DefaultPython() { return Env("ADLIK_PYTHON", "python3"); }

std::string TorchPython() {
  return Env("ADLIK_TORCH_PYTHON", "/usr/bin/python3");
}

PythonConverter MakePythonConverter(
    std::string_view format, std::string_view script, bool torch,
    std::span<const std::pair<std::string_view, std::string_view>> modules) {
  PythonConverter c;
  c.format = format;
  c.script = script;
  c.interpreter = torch ? TorchPython() : DefaultPython();
  for (const auto& [module, package] : modules) {
    if (!module.empty()) c.modules.emplace_back(module, package);
  }
  return c;
}

std::string PythonConverter::ScriptPath() const {
  return (fs::path(ConverterDir()) / script).string();
}

ModuleProbe::ModuleProbe(std::string interpreter, std::set<std::string> modules)
    : interpreter_(std::move(interpreter)), modules_(std::move(modules)) {}

const StatusOr<std::set<std::string>>& ModuleProbe::Absent() const {
  std::call_once(once_, [this] {
    auto dir = TempDir::Create();
    if (!dir.ok()) {
      absent_ = dir.status();
      return;
    }
    std::vector<std::string> argv = {
        interpreter_, "-c",
        "import importlib.util, sys\n"
        "for m in sys.argv[1:]:\n"
        "  try:\n"
        "    if importlib.util.find_spec(m) is None: print(m)\n"
        "  except ImportError: print(m)\n"};
    argv.insert(argv.end(), modules_.begin(), modules_.end());
    StatusOr<Exit> done = Spawn(argv, dir->path() + "/log");
    if (!done.ok()) {
      absent_ = NotFound("a Python interpreter: " + done.status().message());
      return;
    }
    if (done->code != 0) {
      absent_ = NotFound("a working Python interpreter ('" + interpreter_ +
                         "' failed: " + Tail(done->output) + ")");
      return;
    }
    // One missing module a line.
    std::set<std::string> absent;
    std::istringstream lines(done->output);
    for (std::string line; std::getline(lines, line);) absent.insert(line);
    absent_ = std::move(absent);
  });
  return absent_;
}

std::string PythonConverter::Missing(const ModuleProbe& probe) const {
  std::error_code ec;
  if (!fs::exists(ScriptPath(), ec)) {
    return "its converter script " + ScriptPath() +
           " (set ADLIK_CONVERTER_DIR or --converter_dir)";
  }
  const StatusOr<std::set<std::string>>& absent = probe.Absent();
  if (!absent.ok()) return absent.status().message();
  std::string packages;
  for (const auto& [module, package] : modules) {
    if (absent->contains(module))
      packages += (packages.empty() ? "" : " ") + package;
  }
  if (packages.empty()) return "";
  return "the Python package(s) " + packages + " for " + interpreter +
         " (pip install " + packages + ")";
}

std::string PythonConverter::Missing() const {
  std::set<std::string> names;
  for (const auto& m : modules) names.insert(m.first);
  return Missing(ModuleProbe(interpreter, std::move(names)));
}

std::function<std::string()> ConverterProbes::Probe(
    const PythonConverter& converter) {
  std::shared_ptr<ModuleProbe>& probe = probes_[converter.interpreter];
  if (!probe)
    probe = std::make_shared<ModuleProbe>(converter.interpreter,
                                          std::set<std::string>());
  for (const auto& m : converter.modules) probe->Add(m.first);
  return [converter, probe] { return converter.Missing(*probe); };
}

StatusOr<onnx::ModelProto> PythonConverter::Convert(
    const std::string& source, const CompileRequest& request) const {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string options = dir.path() + "/options.json";
  const std::string output = dir.path() + "/model.onnx";
  RETURN_IF_ERROR(WriteText(options, OptionsJson(format, request)));
  ASSIGN_OR_RETURN(Exit done,
                   Spawn({interpreter, ScriptPath(), "convert", "--source",
                          source, "--options", options, "--output", output},
                         dir.path() + "/log"));
  if (done.code != 0) {
    const std::string what = "'" + interpreter + " " + script + "' ";
    if (done.code == 2)
      return InvalidArgument(what + "refused '" + source +
                             "': " + Tail(done.output));
    return Internal(what + "failed on '" + source + "': " + Tail(done.output));
  }
  return ReadOnnxFile(output);
}

Status PythonConverter::ConvertTo(const std::string& source,
                                  const CompileRequest& request,
                                  const std::string& output) const {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string options = dir.path() + "/options.json";
  RETURN_IF_ERROR(WriteText(options, OptionsJson(format, request)));
  ASSIGN_OR_RETURN(Exit done,
                   Spawn({interpreter, ScriptPath(), "convert", "--source",
                          source, "--options", options, "--output", output},
                         dir.path() + "/log"));
  if (done.code == 0) return Status::Ok();
  const std::string what = "'" + interpreter + " " + script + "' ";
  if (done.code == 2) {
    return InvalidArgument(what + "refused '" + source +
                           "': " + Tail(done.output));
  }
  return Internal(what + "failed on '" + source + "': " + Tail(done.output));
}

Status PythonConverter::Run(const std::string& source,
                            const CompileRequest& request,
                            std::span<const TensorView> inputs,
                            const std::vector<std::string>& outputs,
                            std::vector<Tensor>* results) const {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string options = dir.path() + "/options.json";
  RETURN_IF_ERROR(WriteText(options, OptionsJson(format, request)));
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("inputs");
  w.StartArray();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string file = dir.path() + "/in" + std::to_string(i) + ".npy";
    RETURN_IF_ERROR(WriteNpy(file, inputs[i]));
    w.StartObject();
    w.Key("name");
    w.String(inputs[i].name.data(),
             static_cast<rapidjson::SizeType>(inputs[i].name.size()));
    w.Key("file");
    w.String(file.c_str());
    w.EndObject();
  }
  w.EndArray();
  Strings(w, "outputs", outputs);
  w.EndObject();
  const std::string manifest = dir.path() + "/inputs.json";
  RETURN_IF_ERROR(WriteText(manifest, buffer.GetString()));
  const std::string out_dir = dir.path() + "/out";
  fs::create_directory(out_dir);
  ASSIGN_OR_RETURN(
      Exit done,
      Spawn({interpreter, ScriptPath(), "run", "--source", source, "--options",
             options, "--inputs", manifest, "--outputs", out_dir},
            dir.path() + "/log"));
  if (done.code != 0) {
    return Internal("'" + interpreter + " " + script + "' could not run '" +
                    source + "': " + Tail(done.output));
  }
  results->clear();
  for (size_t k = 0; k < outputs.size(); ++k) {
    ASSIGN_OR_RETURN(
        Tensor t,
        ReadNpy(out_dir + "/" + std::to_string(k) + ".npy", outputs[k]));
    results->push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace adlik::compiler
