// A source converter: a Python script under compiler/converters/ (installed
// as <the compiler's folder>/converters/) that turns a model of another
// framework into ONNX with that framework's own tool, and runs the source
// model in its framework for the numeric check. It runs as a subprocess;
// what it writes on stderr becomes the error when it fails. The protocol is
// in converters/converter_main.py.
//
// Which interpreter runs it: PyTorch's converter uses ADLIK_TORCH_PYTHON
// (default /usr/bin/python3, where Debian's python3-torch lives), the others
// ADLIK_PYTHON (default python3 from PATH); the scripts are found in
// ADLIK_CONVERTER_DIR (default: the folder beside the running binary). The
// adlik_compiler flags --python, --torch_python and --converter_dir set them.
//
// Whether a converter can run here costs a Python start to find out (tenths
// of a second, seconds on a busy machine), so it is asked of a ModuleProbe: one
// per interpreter, for the modules of every converter that interpreter runs,
// started on the first ask only. ConverterProbes hands them out to the passes
// of one graph.
//
// Thread-safety: a PythonConverter is immutable; Convert and Run may be
// called concurrently (each uses its own temporary folder). ModuleProbe::Absent
// may be called concurrently; its process runs once. ConverterProbes is used
// while a graph is built, by one thread; the functions it returns may be
// called concurrently.
#ifndef ADLIK_COMPILER_SOURCES_PYTHON_CONVERTER_H_
#define ADLIK_COMPILER_SOURCES_PYTHON_CONVERTER_H_

#include <onnx/onnx_pb.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "request.h"

namespace adlik::compiler {

// Which of some Python modules an interpreter cannot import, found out by one
// short Python process (it looks the modules up without importing them) on
// the first call to Absent, and remembered.
class ModuleProbe {
 public:
  ModuleProbe(std::string interpreter, std::set<std::string> modules);

  // Adds `module` to the modules looked up; only before the first Absent.
  void Add(std::string module) { modules_.insert(std::move(module)); }

  // The modules the interpreter cannot import. An error, saying what is
  // missing in words, when the interpreter does not run or fails.
  const StatusOr<std::set<std::string>>& Absent() const;

 private:
  const std::string interpreter_;
  std::set<std::string> modules_;
  mutable std::once_flag once_;
  mutable StatusOr<std::set<std::string>> absent_{Internal("not probed")};
};

struct PythonConverter {
  std::string format;       // the source format: "torchscript", "keras", ...
  std::string script;       // file name in the converter folder
  std::string interpreter;  // the Python that runs it
  // The Python modules it needs, with the pip package of each ("tf2onnx"),
  // for the message when one is missing.
  std::vector<std::pair<std::string, std::string>> modules;

  // The script's full path.
  std::string ScriptPath() const;

  // Empty when the interpreter and the script exist and every module is
  // importable; otherwise what is missing, in words ("the Python package
  // 'tf2onnx' for python3 (pip install tf2onnx)"). Asks `probe`, which must
  // be of `interpreter` and cover `modules`, only when the script exists.
  std::string Missing(const ModuleProbe& probe) const;
  // The same with a probe of its own (one Python start).
  std::string Missing() const;

  // Converts the model at `source` to ONNX, with the request's source keys.
  StatusOr<onnx::ModelProto> Convert(const std::string& source,
                                     const CompileRequest& request) const;

  // Converts the model at `source` into `output`, a file or a folder the
  // script writes in a format other than ONNX (a SavedModel, a .tflite).
  Status ConvertTo(const std::string& source, const CompileRequest& request,
                   const std::string& output) const;

  // Runs the model at `source` in its framework on `inputs` (named as the
  // converted ONNX model names them) and returns `outputs`, in order.
  Status Run(const std::string& source, const CompileRequest& request,
             std::span<const TensorView> inputs,
             const std::vector<std::string>& outputs,
             std::vector<Tensor>* results) const;
};

// The module probes of one conversion graph: one per interpreter, covering
// the modules of every converter given to Probe, which is called while the
// graph is built, before any probe runs.
class ConverterProbes {
 public:
  // `converter.Missing(probe)` with the probe of its interpreter, asked on
  // the first call of the function returned.
  std::function<std::string()> Probe(const PythonConverter& converter);

 private:
  std::map<std::string, std::shared_ptr<ModuleProbe>> probes_;
};

// The converter of `format` that `script` is, run by TorchPython() when
// `torch`, else DefaultPython(), needing the (module, pip package) pairs of
// `modules` whose module is not empty.
PythonConverter MakePythonConverter(
    std::string_view format, std::string_view script, bool torch,
    std::span<const std::pair<std::string_view, std::string_view>> modules);

// The folder of the converter scripts and the two interpreters, from the
// environment (see above).
std::string ConverterDir();
std::string DefaultPython();
std::string TorchPython();

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_SOURCES_PYTHON_CONVERTER_H_
