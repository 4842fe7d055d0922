#include "targets.h"

#include <array>
#include <filesystem>
#include <fstream>

namespace adlik::compiler {
namespace {

// Each target and what serves it: a runtime plugin by name, or (no plugin
// of that runtime here) the platform such a plugin declares.
struct TargetEntry {
  std::string_view serving_type;
  std::string_view runtime;
  std::string_view platform;
  unsigned required_properties;
  std::array<std::string_view, 3> aliases;
};

constexpr std::array<TargetEntry, 11> kTargets = {{
    {"onnxruntime", "onnxruntime", "", 0, {"onnxruntime_onnx", "ort", ""}},
    {"onnx", "onnxruntime", "", 0, {"onnx_onnxv1", "", ""}},
    {"tensorrt", "", "tensorrt_plan", 0, {"tensorrt_plan", "trt", ""}},
    {"topsinference",
     "topsinference",
     "",
     kStaticShapes,
     {"engine", "enflame", ""}},
    {"openvino", "", "openvino", 0, {"", "", ""}},
    {"tvm", "tvm", "", 0, {"", "", ""}},
    {"libtorch", "libtorch", "", 0, {"torchscript", "pytorch_libtorch", ""}},
    {"tensorflow", "tensorflow", "", 0, {"tf", "tensorflow_savedmodel", ""}},
    {"tflite", "tflite", "", 0, {"tensorflow_tflite", "tensorflow_lite", ""}},
    {"treelite", "treelite", "", 0, {"fil", "", ""}},
    // A SavedModel whose subgraphs TF-TRT replaced by TensorRT engines; the
    // original compiler's "tftrt", served on the TensorFlow platform.
    {"tftrt",
     "",
     "tensorflow_savedmodel",
     0,
     {"tf_trt", "tensorflow_tensorrt", ""}},
}};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

StatusOr<Target> FindTarget(std::string_view serving_type) {
  for (const auto& e : kTargets) {
    bool match = e.serving_type == serving_type;
    for (auto a : e.aliases) match = match || (!a.empty() && a == serving_type);
    if (match) {
      return Target{std::string(e.serving_type), std::string(e.serving_type),
                    std::string(e.runtime), std::string(e.platform),
                    e.required_properties};
    }
  }
  return InvalidArgument("serving_type '" + std::string(serving_type) +
                         "' is not a known target (known: " + TargetNames() +
                         ")");
}

std::string TargetNames() {
  std::string s;
  for (const auto& e : kTargets)
    s += (s.empty() ? "" : ", ") + std::string(e.serving_type);
  return s;
}

StatusOr<RuntimePlugin*> TargetRuntime(RuntimeRegistry& runtimes,
                                       const Target& target) {
  StatusOr<RuntimePlugin*> found = target.runtime.empty()
                                       ? runtimes.ForPlatform(target.platform)
                                       : runtimes.Get(target.runtime);
  if (!found.ok()) {
    return found.status().WithPrefix("serving_type '" + target.name +
                                     "' needs the runtime it is written for");
  }
  return found;
}

StatusOr<Format> SourceFormat(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (std::filesystem::exists(std::filesystem::path(path) / "saved_model.pb",
                                ec))
      return Format{"tensorflow"};
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (EndsWith(entry.path().string(), ".pdmodel")) return Format{"paddle"};
    }
    return InvalidArgument("input_model '" + path +
                           "' is a folder that holds no model the compiler "
                           "recognises (a SavedModel has saved_model.pb, a "
                           "Paddle model a .pdmodel file)");
  }
  if (EndsWith(path, ".pb")) {
    return InvalidArgument(
        "input_model '" + path +
        "': a TensorFlow .pb file alone is not read; give the SavedModel's "
        "folder (the one that holds saved_model.pb and variables/)");
  }
  if (EndsWith(path, ".keras")) {
    return InvalidArgument(
        "input_model '" + path +
        "': a Keras 3 .keras file is not read (tf2onnx reads tf-keras "
        "models); export it as a SavedModel (model.export(folder)) and "
        "compile the folder");
  }
  struct Ext {
    std::string_view ext;
    std::string_view format;
  };
  constexpr std::array<Ext, 11> kExtensions = {{{".onnx", "onnx"},
                                                {".pt", "torchscript"},
                                                {".pth", "torchscript"},
                                                {".torchscript", "torchscript"},
                                                {".h5", "keras"},
                                                {".tflite", "tflite"},
                                                {".joblib", "sklearn"},
                                                {".pkl", "sklearn"},
                                                {".ubj", "xgboost"},
                                                {".json", "xgboost"},
                                                {".pdmodel", "paddle"}}};
  for (const auto& e : kExtensions) {
    if (EndsWith(path, e.ext)) return Format{std::string(e.format)};
  }
  // LightGBM's text model has no extension of its own; it starts "tree".
  std::ifstream in(path);
  std::string first_line;
  std::getline(in, first_line);
  if (first_line == "tree") return Format{"lightgbm"};
  return InvalidArgument(
      "input_model '" + path +
      "': unknown model format (known: .onnx; TorchScript .pt/.pth; a "
      "TensorFlow SavedModel folder; tf-keras .h5; .tflite; scikit-learn "
      ".joblib/.pkl; XGBoost .json/.ubj; a LightGBM text model; Paddle "
      ".pdmodel or its folder)");
}

}  // namespace adlik::compiler
