#include "sources/native_passes.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sources/source_passes.h"
#include "temp_dir.h"

namespace adlik::compiler {
namespace {
namespace fs = std::filesystem;

struct NativeEntry {
  std::string_view pass;
  std::string_view from;
  std::string_view to;
  std::string_view description;
  std::string_view script;
  // The file or folder the script writes.
  std::string_view output;
  // The name the model is served under when it is not the runtime's default
  // (the config's default_model_filename); for `as_is`, "model" + the
  // source's extension when empty.
  std::string_view served_as;
  // The source file is the model (the script only runs the check).
  bool as_is;
  // The script's `run` is the check's reference (its outputs are named as
  // the target's runtime names them); otherwise the source's converter is.
  bool reference;
  // Run by TorchPython() rather than DefaultPython().
  bool torch;
  // Properties the result has (conversion_graph.h).
  unsigned adds_properties;
  // module=package pairs the script needs.
  std::array<std::pair<std::string_view, std::string_view>, 2> modules;
};

constexpr std::array<NativeEntry, 6> kNative = {{
    {"keras_to_savedmodel",
     "keras",
     "tensorflow",
     "tf-keras model to a SavedModel with tf.saved_model.save",
     "tensorflow_export.py",
     "model.savedmodel",
     "",
     false,
     false,
     false,
     0,
     {{{"tf_keras", "tf_keras"}, {"tensorflow", "tensorflow-cpu"}}}},
    {"tflite_convert",
     "tensorflow",
     "tflite",
     "SavedModel to TFLite with tf.lite.TFLiteConverter.from_saved_model",
     "tensorflow_export.py",
     "model.tflite",
     "",
     false,
     false,
     false,
     0,
     {{{"tensorflow", "tensorflow-cpu"}, {}}}},
    {"xgboost_as_is",
     "xgboost",
     "treelite",
     "the XGBoost model file as it is (model.json or model.ubj)",
     "trees_to_treelite.py",
     "",
     "",
     true,
     true,
     false,
     0,
     {{{"xgboost", "xgboost"}, {}}}},
    {"lightgbm_as_is",
     "lightgbm",
     "treelite",
     "the LightGBM text model as it is (model.txt)",
     "trees_to_treelite.py",
     "",
     "model.txt",
     true,
     true,
     false,
     0,
     {{{"lightgbm", "lightgbm"}, {}}}},
    {"sklearn_to_treelite",
     "sklearn",
     "treelite",
     "scikit-learn trees to a treelite checkpoint (model.tl) with "
     "treelite.sklearn.import_model",
     "trees_to_treelite.py",
     "model.tl",
     "model.tl",
     false,
     true,
     false,
     0,
     {{{"sklearn", "scikit-learn"}, {"treelite", "treelite"}}}},
    {"torchscript_signature",
     "torchscript",
     "libtorch",
     "TorchScript re-saved with the signature.txt the LibTorch runtime "
     "reads (torch.jit.save)",
     "torchscript_to_libtorch.py",
     "model.pt",
     "",
     false,
     true,
     true,
     // Its dims are input_shapes' (a TorchScript file needs them), all but
     // the batch when max_batch_size > 0.
     kStaticShapes,
     {{{"torch", "torch (Debian: python3-torch)"}, {}}}},
}};

PythonConverter MakeConverter(const NativeEntry& e) {
  return MakePythonConverter(e.from, e.script, e.torch, e.modules);
}

// The file or folder at `path` as `model`'s engine or folder.
Status ReadModelFiles(const std::string& path, Artifact* model) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    ASSIGN_OR_RETURN(model->folder, ReadFolder(path));
    if (model->folder.empty()) {
      return InvalidArgument("'" + path + "' is an empty folder");
    }
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read '" + path + "'");
  model->engine.emplace(std::istreambuf_iterator<char>(in),
                        std::istreambuf_iterator<char>());
  return Status::Ok();
}

}  // namespace

StatusOr<Artifact> ReadNativeModel(Artifact model,
                                   const CompileRequest& request) {
  RETURN_IF_ERROR(ReadModelFiles(model.source_path, &model));
  if (model.format.base == "tensorflow") {
    for (const auto* key :
         {&request.signature_keys, &request.saved_model_tags}) {
      if (key->size() > 1) {
        return InvalidArgument(std::string(key == &request.signature_keys
                                               ? "signature_keys"
                                               : "saved_model_tags") +
                               " names " + std::to_string(key->size()) +
                               " values; the tensorflow runtime serves one");
      }
    }
    // The runtime's parameters (Triton's TensorFlow backend's names).
    if (!request.signature_keys.empty() &&
        request.signature_keys[0] != "serving_default") {
      model.parameters["TF_SIGNATURE_DEF"] = request.signature_keys[0];
    }
    if (!request.saved_model_tags.empty() &&
        request.saved_model_tags[0] != "serve") {
      model.parameters["TF_GRAPH_TAG"] = request.saved_model_tags[0];
    }
  }
  return model;
}

std::optional<PythonConverter> NativeReference(const Path& path,
                                               std::string_view source) {
  if (!path.passes.empty()) {
    for (const NativeEntry& e : kNative) {
      if (e.pass == path.passes[0]->name && e.reference) {
        return MakeConverter(e);
      }
    }
  }
  if (path.passes.empty() && source == "tflite") {
    // Named by its signature, as the TFLite runtime names them (the ONNX
    // converter names a .tflite's tensors by their own names).
    constexpr std::pair<std::string_view, std::string_view> kTensorFlow[] = {
        {"tensorflow", "tensorflow-cpu"}};
    return MakePythonConverter(source, "tensorflow_export.py", false,
                               kTensorFlow);
  }
  return FindSourceConverter(source);
}

void AddNativePasses(ConversionGraph* graph, ConverterProbes* probes) {
  ConverterProbes own;
  if (probes == nullptr) probes = &own;
  for (const NativeEntry& e : kNative) {
    PythonConverter converter = MakeConverter(e);
    Pass p;
    p.name = e.pass;
    p.from = e.from;
    p.to = e.to;
    p.adds_properties = e.adds_properties;
    p.description = std::string(e.description) + " (" + converter.interpreter +
                    " " + converter.script + ")";
    p.probe = probes->Probe(converter);
    if (e.as_is) {
      p.run = [served_as = std::string(e.served_as)](
                  Artifact model, const CompileRequest&) -> StatusOr<Artifact> {
        RETURN_IF_ERROR(ReadModelFiles(model.source_path, &model));
        model.model_filename = served_as;
        if (served_as.empty()) {
          // XGBoost: JSON or UBJSON, which the runtime tells by extension.
          model.model_filename =
              "model" + fs::path(model.source_path).extension().string();
        }
        model.notes.push_back("served as it is, as " + model.model_filename);
        return model;
      };
    } else {
      p.run = [converter, output = std::string(e.output),
               served_as = std::string(e.served_as)](
                  Artifact model,
                  const CompileRequest& request) -> StatusOr<Artifact> {
        ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
        // The source, or what an earlier pass made of it.
        std::string input = model.source_path;
        if (!model.folder.empty()) {
          input = dir.path() + "/input";
          RETURN_IF_ERROR(WriteFolder(input, model.folder));
        } else if (model.engine) {
          input = dir.path() + "/input";
          std::ofstream f(input, std::ios::binary);
          f.write(model.engine->data(),
                  static_cast<std::streamsize>(model.engine->size()));
          f.close();
          if (!f) return Internal("cannot write '" + input + "'");
        }
        const std::string path = dir.path() + "/" + output;
        RETURN_IF_ERROR(converter.ConvertTo(input, request, path));
        Artifact out;
        out.format = model.format;
        out.source_path = model.source_path;
        out.notes = std::move(model.notes);
        RETURN_IF_ERROR(ReadModelFiles(path, &out));
        out.model_filename = served_as;
        out.notes.push_back("converted by " + converter.script + " to " +
                            output);
        return out;
      };
    }
    graph->Add(std::move(p));
  }
}

}  // namespace adlik::compiler
