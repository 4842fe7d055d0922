// The build's runtime plugins (build/bin) for the compiler's unit tests, and
// ONNX models in memory run through the onnxruntime plugin.
//
// Thread-safety: Runtimes() is a process-wide registry (thread-safe); the
// functions are reentrant.
// Ownership: the registry lives until the test program exits.
#ifndef ADLIK_COMPILER_TEST_UTIL_RUNTIMES_H_
#define ADLIK_COMPILER_TEST_UTIL_RUNTIMES_H_

#include <onnx/onnx_pb.h>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "numeric_check.h"
#include "runtime_host/runtime_registry.h"

namespace adlik::compiler::testing {

// The plugins next to the server in this build.
RuntimeRegistry& Runtimes();

// CompareModels over two ONNX models, each run by the onnxruntime plugin as
// written (graph optimisation disabled).
StatusOr<NumericReport> CompareOnnx(const onnx::ModelProto& reference,
                                    const onnx::ModelProto& candidate,
                                    const NumericCheckOptions& options);

// The signature the onnxruntime plugin reports for `model` (what the server
// sees).
StatusOr<Signature> OrtSignature(const onnx::ModelProto& model);

}  // namespace adlik::compiler::testing

#endif  // ADLIK_COMPILER_TEST_UTIL_RUNTIMES_H_
