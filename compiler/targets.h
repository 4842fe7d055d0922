// The compiler's ends: source formats (recognised from the input file) and
// targets (the request's serving_type).
//
// A target is a base format of the conversion graph plus the serving runtime
// that loads it and the file it is written to. The config.pbtxt written names
// the runtime (`backend`); the server learns the rest (the platform reported
// in metadata) from the runtime plugin itself.
//
// Thread-safety: pure functions over constants.
#ifndef ADLIK_COMPILER_TARGETS_H_
#define ADLIK_COMPILER_TARGETS_H_

#include <string>
#include <string_view>

#include "adlik/status.h"
#include "artifact.h"

namespace adlik::compiler {

struct Target {
  std::string format;   // the graph's target base format: "onnxruntime"
  std::string runtime;  // the serving runtime: "onnxruntime"
  // Whether the result is an ONNX model ONNX Runtime can run (and so the
  // numeric check can compare it with the source).
  bool runs_in_onnxruntime = false;
  // Properties every model of this target has (static shapes for engines
  // that take no dynamic shapes).
  unsigned required_properties = 0;
  // The model file in the version folder; the runtime's default file name.
  std::string model_file;
};

// Accepts the canonical names and the original Adlik's ("onnx", "engine",
// "tensorrt", ...). INVALID_ARGUMENT listing the known ones otherwise.
StatusOr<Target> FindTarget(std::string_view serving_type);

// Every canonical serving_type, comma-separated (for help and messages).
std::string TargetNames();

// The format of a source model, from its file name (".onnx" -> "onnx",
// ".pt" -> "torchscript", a SavedModel folder -> "tensorflow", ...).
StatusOr<Format> SourceFormat(const std::string& path);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_TARGETS_H_
