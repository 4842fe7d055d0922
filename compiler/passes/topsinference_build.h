// Pass: build an Enflame TopsInference engine (model.exec) from a static ONNX
// model, for the Enflame i20 and its `topsinference` runtime.
//
// This follows the seed's steps inside a TopsInference device context: create
// an ONNX parser, read the model into a network, create an optimizer (fp16
// mixed precision when the path converted to fp16), build the engine and save
// its executable. The engine takes static shapes only, so the conversion
// graph runs the fix_shapes pass first.
//
// Two implementations exist and CMake picks one: topsinference_build.cc when
// the TopsInference SDK is found (TOPSINFERENCE_ROOT), and
// topsinference_build_unavailable.cc otherwise, which declares the pass
// unavailable and names what is missing.
//
// Thread-safety: not thread-safe (the SDK's device context is per process).
#ifndef ADLIK_COMPILER_PASSES_TOPSINFERENCE_BUILD_H_
#define ADLIK_COMPILER_PASSES_TOPSINFERENCE_BUILD_H_

#include <onnx/onnx_pb.h>

#include <string>

#include "adlik/status.h"

namespace adlik::compiler {

// Empty when this build can run the pass; otherwise what it needs.
std::string TopsInferenceMissing();

// Returns the serialized engine (the content of model.exec).
StatusOr<std::string> BuildTopsInferenceEngine(const onnx::ModelProto& model,
                                               bool mixed_fp16);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_TOPSINFERENCE_BUILD_H_
