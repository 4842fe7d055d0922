// The model object that passes take and return, and where it stands in the
// conversion graph.
//
// A Format is a node of the conversion graph: a base format ("onnx",
// "onnxruntime", "topsinference") plus the properties the passes so far have
// given it (static shapes, fp16). An Artifact is a model in that format, held
// in memory: an ONNX ModelProto for the ONNX-based formats, or the serialized
// engine of a target runtime next to the ONNX model it was built from (whose
// signature it keeps), or, for a source format a converter reads (a
// TorchScript file, a SavedModel folder), the path of the source; or a model
// of a runtime that is not served from ONNX (a SavedModel folder, a .tflite
// file, a tree model), which carries no ONNX model: its runtime reports its
// signature. Compiling a model already in memory is therefore the same as
// compiling a file: build an Artifact and run the passes over it.
//
// Thread-safety: values; an Artifact is owned by whoever holds it and passes
// take it by value.
#ifndef ADLIK_COMPILER_ARTIFACT_H_
#define ADLIK_COMPILER_ARTIFACT_H_

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"

namespace adlik::compiler {

// Properties a pass can give a format (a bit set).
enum Property : unsigned {
  kStaticShapes = 1u << 0,  // every input dimension is fixed
  kFp16 = 1u << 1,          // float compute converted to fp16
  kInt8 = 1u << 2,          // quantised to int8 (static, calibrated)
};

struct Format {
  std::string base;         // "onnx", "onnxruntime", "tensorrt", ...
  unsigned properties = 0;  // Property bits

  bool operator==(const Format&) const = default;
  auto operator<=>(const Format&) const = default;
};

// "static", "fp16", "static,fp16", "int8" ("" for none).
std::string PropertyNames(unsigned properties);

// "onnx", "onnx(static,fp16)".
std::string FormatName(const Format& format);

// A file of the compiled model written beside its model file, named by the
// model file's stem and `extension`: OpenVINO IR is model.xml (the engine)
// and its weights model.bin (extension ".bin"), which OpenVINO finds by that
// name.
struct SideFile {
  std::string extension;  // ".bin"
  std::string bytes;
};

// A file of a model that is a folder (a SavedModel), by its path inside the
// folder ("saved_model.pb", "variables/variables.index").
struct FolderFile {
  std::string path;
  std::string bytes;
};

// Every file under `path`, by its path inside it, in name order. A link or a
// special file is an error naming it (a SavedModel is plain files).
StatusOr<std::vector<FolderFile>> ReadFolder(const std::string& path);

// Writes `files` under `path` (created, with the folders they need).
Status WriteFolder(const std::string& path,
                   const std::vector<FolderFile>& files);

// "model.bin" for "model.xml" and ".bin".
std::string SideFileName(const std::string& model_filename,
                         const SideFile& file);

struct Artifact {
  Format format;
  // The model for ONNX-based formats; for engine formats, the ONNX model the
  // engine was built from.
  onnx::ModelProto onnx;
  // The serialized engine for formats that are not ONNX (model.exec, ...).
  std::optional<std::string> engine;
  // The engine's other files (empty for single-file formats).
  std::vector<SideFile> side_files;
  // A model that is a folder and not one file (a SavedModel, written as the
  // version's model.savedmodel/): its files, and `engine` is unset.
  std::vector<FolderFile> folder;
  // Config parameters the runtime needs to read the model as it is (the
  // TensorFlow runtime's TF_SIGNATURE_DEF, treelite's model_type): given to
  // the runtime when the model is checked, and written into config.pbtxt.
  std::map<std::string, std::string> parameters;
  // The model file's name when it is not the runtime's default (treelite's
  // model.txt for LightGBM): the config's default_model_filename.
  std::string model_filename;
  // What the passes had to say (summaries, warnings), oldest first.
  std::vector<std::string> notes;
  // The source model's file or folder, for a source format the compiler does
  // not read itself (TorchScript, SavedModel, ...): its converter reads it.
  std::string source_path;
};

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_ARTIFACT_H_
