// Passes: static post-training int8 quantisation with a calibration set, and
// the accuracy report that every int8 compile prints.
//
//   QuantizeOnnx      onnx -> onnx(int8): ONNX Runtime's quantize_static, QDQ
//                     format (for the onnxruntime and onnx targets)
//   QuantizeOpenVino  openvino -> openvino(int8): NNCF's nncf.quantize over
//                     the IR (for the openvino target)
//
// Both run compiler/quantize/adlik_quantize.py (installed beside
// adlik_compiler; QuantizeScript says where it is looked for) with python3
// as a child process, over the request's calibration_dataset, and evaluate
// the int8 model against the fp32 one on validation_dataset: top-1 agreement,
// top-1 accuracy on the files validation_labels names, and each model's time
// in its runtime's own Python API ("bare") and through the runtime plugin the
// server loads ("served", quantize/served_timing.h; the plugins beside the
// running binary). The report becomes the pass's notes. When the agreement
// lost more than max_accuracy_loss points the pass fails with the report in
// its message and nothing is written; a missing Python package is an error
// naming it.
//
// Thread-safety: reentrant (each call has its own folder and child process).
#ifndef ADLIK_COMPILER_QUANTIZE_INT8_H_
#define ADLIK_COMPILER_QUANTIZE_INT8_H_

#include <string>

#include "adlik/status.h"
#include "artifact.h"
#include "request.h"

namespace adlik::compiler {

// adlik_quantize.py beside the running binary, else the one in the source
// tree this library was built from; an error names both when neither exists.
StatusOr<std::string> QuantizeScript();

StatusOr<Artifact> QuantizeOnnx(Artifact model, const CompileRequest& request);

// `model.engine` is model.xml and its side file ".bin" the weights.
StatusOr<Artifact> QuantizeOpenVino(Artifact model,
                                    const CompileRequest& request);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_QUANTIZE_INT8_H_
