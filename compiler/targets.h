// The compiler's ends: source formats (recognised from the input file) and
// targets (the request's serving_type).
//
// A target is a base format of the conversion graph plus the runtime that
// serves it: a runtime plugin named outright ("onnxruntime") or, for runtimes
// this project has no plugin of, the config platform one would declare
// ("tensorrt_plan"). Nothing else about the runtime is written here: its
// name (the config's `backend`), its platforms and its model file name come
// from the plugin's own description (AdlikRuntimeDescribe), through the
// runtime host, so a new runtime needs no change here beyond its conversion
// step and its line in the table.
//
// Thread-safety: FindTarget, TargetNames and SourceFormat are pure functions
// over constants; TargetRuntime is as thread-safe as the registry.
#ifndef ADLIK_COMPILER_TARGETS_H_
#define ADLIK_COMPILER_TARGETS_H_

#include <string>
#include <string_view>

#include "adlik/status.h"
#include "artifact.h"
#include "runtime_host/runtime_registry.h"

namespace adlik::compiler {

struct Target {
  std::string name;    // the canonical serving_type: "onnxruntime"
  std::string format;  // the graph's target base format: "onnxruntime"
  // What serves the result: the runtime plugin of this name, or, when it is
  // empty, whichever plugin declares `platform`.
  std::string runtime;
  std::string platform;
  // Properties every model of this target has (static shapes for engines
  // that take no dynamic shapes).
  unsigned required_properties = 0;
};

// Accepts the canonical names and the original Adlik's ("onnx", "engine",
// "tensorrt", ...). INVALID_ARGUMENT listing the known ones otherwise.
StatusOr<Target> FindTarget(std::string_view serving_type);

// Every canonical serving_type, comma-separated (for help and messages).
std::string TargetNames();

// The runtime plugin that serves `target`, loaded from `runtimes`; the error
// names the target and what is missing (the plugin file, or a plugin that
// declares the platform).
StatusOr<RuntimePlugin*> TargetRuntime(RuntimeRegistry& runtimes,
                                       const Target& target);

// The format of a source model, from its file name (".onnx" -> "onnx",
// ".pt" -> "torchscript", a SavedModel folder -> "tensorflow", ...).
StatusOr<Format> SourceFormat(const std::string& path);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_TARGETS_H_
