// Pass: build a TVM model library (model.so) from an ONNX model, for the
// `tvm` runtime.
//
// TVM's compiler is Python only, so the pass runs tvm_build.py (relax
// from_onnx -> tvm.compile for this machine's CPU -> export_library) with
// python3 from PATH. The script is looked up beside the running binary (the
// build copies it beside adlik_compiler) and then in the source tree's
// compiler/.
// A symbolic first dimension stays symbolic: the library takes any batch.
//
// Thread-safety: each call works in its own temporary folder and child
// process. Ownership: the caller owns the returned bytes; nothing is kept.
#ifndef ADLIK_COMPILER_PASSES_TVM_BUILD_H_
#define ADLIK_COMPILER_PASSES_TVM_BUILD_H_

#include <onnx/onnx_pb.h>

#include <string>

#include "adlik/status.h"

namespace adlik::compiler {

// Returns the library's bytes (the content of model.so). UNIMPLEMENTED
// names the Python package when TVM is not importable.
StatusOr<std::string> BuildTvmLibrary(const onnx::ModelProto& model);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_TVM_BUILD_H_
