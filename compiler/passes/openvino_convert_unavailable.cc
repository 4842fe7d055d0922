// The OpenVINO pass in a build without OpenVINO.
#include "passes/openvino_convert.h"

namespace adlik::compiler {

std::string OpenVinoMissing() {
  return "OpenVINO's runtime (openvino/openvino.hpp: ov::Core::read_model, "
         "ov::save_model), which this build does not have; run "
         "ADLIK_WITH_OPENVINO=1 scripts/setup.sh and configure with "
         "-DADLIK_WITH_OPENVINO=ON";
}

StatusOr<OpenVinoIr> ConvertToOpenVino(const onnx::ModelProto&, bool) {
  return Unimplemented("openvino_convert needs " + OpenVinoMissing());
}

}  // namespace adlik::compiler
