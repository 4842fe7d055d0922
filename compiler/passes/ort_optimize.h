// Pass: ONNX Runtime's graph optimisation, saved as a model file.
//
// The model is loaded into an ONNX Runtime session at the given level
// (disable, basic, extended, all) with SetOptimizedModelFilePath, and the
// file ONNX Runtime writes is read back as the result. "basic" keeps standard
// ONNX operators (constant folding, redundant nodes removed); "extended" and
// "all" add ONNX Runtime's fused operators (com.microsoft domain), and "all"
// may add layouts specific to this machine's CPU, so its result is meant for
// the same kind of machine only.
//
// Thread-safety: a pure function; uses a private temporary folder.
#ifndef ADLIK_COMPILER_PASSES_ORT_OPTIMIZE_H_
#define ADLIK_COMPILER_PASSES_ORT_OPTIMIZE_H_

#include <onnx/onnx_pb.h>

#include <string_view>

#include "adlik/status.h"

namespace adlik::compiler {

StatusOr<onnx::ModelProto> OptimizeWithOrt(const onnx::ModelProto& model,
                                           std::string_view level);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_ORT_OPTIMIZE_H_
