// Pass: ONNX to OpenVINO IR (model.xml and its weights, model.bin), for the
// `openvino` runtime, through OpenVINO's C++ API: ov::Core::read_model reads
// the ONNX model (OpenVINO's ONNX frontend) and ov::save_model writes the IR,
// with the weights compressed to fp16 when asked (compress_to_fp16; OpenVINO
// then computes in the precision its device prefers, fp32 on a CPU without
// fp16 arithmetic).
//
// Two implementations exist and CMake picks one: openvino_convert.cc when the
// build has OpenVINO (ADLIK_WITH_OPENVINO), openvino_convert_unavailable.cc
// otherwise, which declares the pass unavailable and names what is missing.
//
// Thread-safety: reentrant (each call has its own ov::Core and files).
#ifndef ADLIK_COMPILER_PASSES_OPENVINO_CONVERT_H_
#define ADLIK_COMPILER_PASSES_OPENVINO_CONVERT_H_

#include <onnx/onnx_pb.h>

#include <string>

#include "adlik/status.h"

namespace adlik::compiler {

// Empty when this build can run the pass; otherwise what it needs.
std::string OpenVinoMissing();

struct OpenVinoIr {
  std::string xml;  // model.xml
  std::string bin;  // model.bin
};

StatusOr<OpenVinoIr> ConvertToOpenVino(const onnx::ModelProto& model,
                                       bool compress_to_fp16);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_PASSES_OPENVINO_CONVERT_H_
