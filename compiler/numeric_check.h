// The numeric check: run the source model and the compiled one on the same
// seeded random inputs, each through a runtime plugin in-process
// (runtime_host/bare_model.h), and measure how far their outputs are apart.
// The compiled model runs in the runtime of its target (the plugin the server
// would load, with the spec the server would give it); the source runs in the
// onnxruntime plugin as written (graph optimisation disabled), or, for a
// source of another framework, in that framework (CheckedModel).
//
// Inputs follow the compiled model's shapes; a dynamic batch dimension is
// min(2, max_batch_size) and any other dynamic dimension 8. Float inputs are
// uniform in [-1, 1) (rounded through fp16 when either model takes fp16, so
// both see the same values), integers and booleans 0 or 1 (valid indices into
// any embedding table, valid attention masks).
//
// For each output, comparing reference r (source) with candidate c:
//   max_abs_error = max |r - c|
//   max_rel_error = max_abs_error / max |r|   (max_abs_error when r is all 0)
// The relative error is taken against the output's largest magnitude, so
// outputs near zero do not make it explode. The check passes when every
// output's max_rel_error is at most the tolerance; a NaN or infinity in one
// model and not the other is an infinite error.
//
// Thread-safety: the functions are reentrant; a model may be checked from
// several threads (BareModel::Run is thread-safe).
// Ownership: a model loaded here keeps its files in the folder it was given,
// which must outlive it; the RuntimeRegistry must outlive it too.
#ifndef ADLIK_COMPILER_NUMERIC_CHECK_H_
#define ADLIK_COMPILER_NUMERIC_CHECK_H_

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "artifact.h"
#include "runtime_host/bare_model.h"
#include "runtime_host/runtime_registry.h"

namespace adlik::compiler {

inline constexpr double kFp32Tolerance = 1e-5;
inline constexpr double kFp16Tolerance = 2e-2;
// int8 is judged by its accuracy report (quantize/int8.h); on random inputs
// the check only catches a model the quantisation broke.
inline constexpr double kInt8Tolerance = 0.1;

struct NumericCheckOptions {
  double tolerance = kFp32Tolerance;
  uint64_t seed = 0;
  int max_batch_size = 0;  // > 0: the first dimension is the batch
};

struct OutputError {
  std::string name;
  double max_abs_error = 0;
  double max_rel_error = 0;
  double max_reference = 0;  // max |r|
};

struct NumericReport {
  std::vector<OutputError> outputs;
  double max_abs_error = 0;  // over all outputs
  double max_rel_error = 0;
  double tolerance = 0;
  bool passed = false;
  std::string inputs;  // "input[2,3,224,224] FP32"

  // "max abs error 1.2e-04, max rel error 3.4e-05 (tolerance 1e-05): FAILED"
  std::string Summary() const;
};

// Writes `model_bytes` as FOLDER/<spec.name>/1/<model_filename, default the
// runtime's default model file> (and `side_files` beside it), or, when
// `model_folder` is not empty, that folder's files under that name, and loads
// it through `runtime` as the server would load it with a config of `spec`'s
// max_batch_size, parameters and declared tensors (the paths and version are
// filled in here). No instance is made.
StatusOr<std::unique_ptr<BareModel>> LoadThroughRuntime(
    RuntimePlugin& runtime, const std::string& folder, host::ModelSpec spec,
    std::string_view model_bytes, const std::vector<SideFile>& side_files = {},
    const std::vector<FolderFile>& model_folder = {},
    const std::string& model_filename = "");

// The source model through `runtimes`' onnxruntime plugin, as written
// (graph_optimization_level disable), with one CPU instance: the reference
// of the check. Its files go under `folder`.
StatusOr<std::unique_ptr<BareModel>> LoadReference(
    RuntimeRegistry& runtimes, const std::string& folder,
    const onnx::ModelProto& source, int max_batch_size);

// The tensors a model takes and gives: what its runtime reports, or, from an
// engine that reports nothing, what its spec declared.
Signature EffectiveSignature(const BareModel& model);

// One side of the check: the tensors it takes and gives, and how to run it
// (the outputs named, in that order). A model of another framework is a
// reference this way: its converter runs it (sources/python_converter.h).
struct CheckedModel {
  Signature signature;
  std::function<Status(std::span<const TensorView> inputs,
                       const std::vector<std::string>& output_names,
                       std::vector<Tensor>* outputs)>
      run;
};

// A BareModel as a side of the check (it needs an instance, and must outlive
// the result).
CheckedModel Checked(BareModel& model);

// Runs both models and compares them (see CompareModels).
StatusOr<NumericReport> CompareRuns(const CheckedModel& reference,
                                    const CheckedModel& candidate,
                                    const NumericCheckOptions& options);

// Runs both models (each needs an instance). An error means the check could
// not run (string tensors, outputs that differ in name or shape, a runtime
// that fails); a check that runs and finds large errors returns a report
// with !passed.
StatusOr<NumericReport> CompareModels(BareModel& reference,
                                      BareModel& candidate,
                                      const NumericCheckOptions& options);

}  // namespace adlik::compiler

#endif  // ADLIK_COMPILER_NUMERIC_CHECK_H_
