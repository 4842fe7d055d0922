// The TopsInference pass in a build without the TopsInference SDK.
#include "passes/topsinference_build.h"

namespace adlik::compiler {

std::string TopsInferenceMissing() {
  return "Enflame's TopsInference SDK (TopsInference/TopsInferRuntime.h and "
         "libTopsInference.so), which this build does not have; configure with "
         "-DTOPSINFERENCE_ROOT=<sdk folder> on a machine that has it";
}

StatusOr<std::string> BuildTopsInferenceEngine(const onnx::ModelProto&, bool) {
  return Unimplemented("topsinference_build needs " + TopsInferenceMissing());
}

}  // namespace adlik::compiler
