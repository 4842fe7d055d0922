// The project's conversion graph: every pass the compiler knows, available
// or not in this build.
//
//   torchscript, tensorflow, keras, tflite, sklearn, xgboost, lightgbm,
//   paddle --(their frameworks' converters, sources/source_passes.h)--> onnx
//   onnx --fix_shapes--> onnx(static)      onnx --fp16--> onnx(fp16)
//   onnx --ort_optimize--> onnxruntime
//   onnx(static) --topsinference_build--> topsinference   (needs its SDK)
//   onnx --tensorrt_build--> tensorrt                      (needs TensorRT,
//   GPU) onnx --openvino_convert--> openvino                    (needs
//   OpenVINO)
//
// The target "onnx" is the ONNX model itself (after the passes the request
// asks for), served by the onnxruntime runtime.
//
// Thread-safety: returns a new graph each call.
#ifndef ADLIK_COMPILER_DEFAULT_GRAPH_H_
#define ADLIK_COMPILER_DEFAULT_GRAPH_H_

#include "conversion_graph.h"

namespace adlik::compiler {

ConversionGraph DefaultGraph();

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_DEFAULT_GRAPH_H_
