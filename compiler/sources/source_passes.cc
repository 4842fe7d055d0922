#include "sources/source_passes.h"

#include <array>
#include <map>
#include <memory>
#include <set>

namespace adlik::compiler {
namespace {

struct SourceEntry {
  std::string_view format;
  std::string_view pass;
  std::string_view tool;  // for the description
  std::string_view script;
  bool torch;  // run by TorchPython() rather than DefaultPython()
  // module=package pairs the converter needs.
  std::array<std::pair<std::string_view, std::string_view>, 3> modules;
};

constexpr std::array<SourceEntry, 8> kSources = {{
    {"torchscript",
     "torch_export",
     "PyTorch's torch.onnx.export",
     "torchscript_to_onnx.py",
     true,
     {{{"torch", "torch (Debian: python3-torch)"}, {}, {}}}},
    {"tensorflow",
     "tf2onnx",
     "tf2onnx",
     "tensorflow_to_onnx.py",
     false,
     {{{"tensorflow", "tensorflow-cpu"}, {"tf2onnx", "tf2onnx"}, {}}}},
    {"keras",
     "keras2onnx",
     "tf2onnx",
     "tensorflow_to_onnx.py",
     false,
     {{{"tf_keras", "tf_keras"}, {"tf2onnx", "tf2onnx"}, {}}}},
    {"tflite",
     "tflite2onnx",
     "tf2onnx",
     "tensorflow_to_onnx.py",
     false,
     {{{"tensorflow", "tensorflow-cpu"}, {"tf2onnx", "tf2onnx"}, {}}}},
    {"sklearn",
     "skl2onnx",
     "skl2onnx",
     "trees_to_onnx.py",
     false,
     {{{"sklearn", "scikit-learn"}, {"skl2onnx", "skl2onnx"}, {}}}},
    {"xgboost",
     "xgboost2onnx",
     "onnxmltools",
     "trees_to_onnx.py",
     false,
     {{{"xgboost", "xgboost"}, {"onnxmltools", "onnxmltools"}, {}}}},
    {"lightgbm",
     "lightgbm2onnx",
     "onnxmltools",
     "trees_to_onnx.py",
     false,
     {{{"lightgbm", "lightgbm"}, {"onnxmltools", "onnxmltools"}, {}}}},
    {"paddle",
     "paddle2onnx",
     "paddle2onnx",
     "paddle_to_onnx.py",
     false,
     {{{"paddle", "paddlepaddle"}, {"paddle2onnx", "paddle2onnx"}, {}}}},
}};

PythonConverter MakeConverter(const SourceEntry& e) {
  return MakePythonConverter(e.format, e.script, e.torch, e.modules);
}

}  // namespace

std::optional<PythonConverter> FindSourceConverter(std::string_view format) {
  for (const SourceEntry& e : kSources) {
    if (e.format == format) return MakeConverter(e);
  }
  return std::nullopt;
}

void AddSourcePasses(ConversionGraph* graph, ConverterProbes* probes) {
  ConverterProbes own;
  if (probes == nullptr) probes = &own;
  for (const SourceEntry& e : kSources) {
    PythonConverter converter = MakeConverter(e);
    Pass p;
    p.name = e.pass;
    p.from = e.format;
    p.to = "onnx";
    p.description = std::string(e.format) + " model to ONNX with " +
                    std::string(e.tool) + " (" + converter.interpreter + " " +
                    converter.script + ")";
    p.probe = probes->Probe(converter);
    p.run = [converter](Artifact model,
                        const CompileRequest& request) -> StatusOr<Artifact> {
      ASSIGN_OR_RETURN(model.onnx,
                       converter.Convert(model.source_path, request));
      std::string opset;
      for (const auto& o : model.onnx.opset_import()) {
        if (o.domain().empty() || o.domain() == "ai.onnx")
          opset = std::to_string(o.version());
      }
      model.notes.push_back("converted by " + converter.script +
                            (opset.empty() ? "" : ", ONNX opset " + opset));
      return model;
    };
    graph->Add(std::move(p));
  }
}

}  // namespace adlik::compiler
