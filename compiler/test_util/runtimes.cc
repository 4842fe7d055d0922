#include "test_util/runtimes.h"

#include "onnx_model.h"
#include "temp_dir.h"

#ifndef ADLIK_TEST_RUNTIME_DIR
#error "ADLIK_TEST_RUNTIME_DIR must name the folder of the runtime plugins"
#endif

namespace adlik::compiler::testing {
namespace {

// `model` through the onnxruntime plugin as written, with one CPU instance.
StatusOr<std::unique_ptr<BareModel>> LoadOnnx(const std::string& folder,
                                              const std::string& name,
                                              const onnx::ModelProto& model,
                                              int max_batch_size) {
  ASSIGN_OR_RETURN(RuntimePlugin * runtime, Runtimes().Get("onnxruntime"));
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  host::ModelSpec spec;
  spec.name = name;
  spec.max_batch_size = max_batch_size;
  spec.parameters = {{"graph_optimization_level", "disable"}};
  ASSIGN_OR_RETURN(auto loaded,
                   LoadThroughRuntime(*runtime, folder, spec, bytes));
  RETURN_IF_ERROR(loaded->AddInstances(1, host::DeviceKind::kCpu));
  return loaded;
}

}  // namespace

RuntimeRegistry& Runtimes() {
  static RuntimeRegistry* registry =
      new RuntimeRegistry(ADLIK_TEST_RUNTIME_DIR, 2);
  return *registry;
}

StatusOr<NumericReport> CompareOnnx(const onnx::ModelProto& reference,
                                    const onnx::ModelProto& candidate,
                                    const NumericCheckOptions& options) {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  auto ref =
      LoadOnnx(dir.path(), "reference", reference, options.max_batch_size);
  if (!ref.ok())
    return ref.status().WithPrefix("numeric check: the source model");
  auto cand =
      LoadOnnx(dir.path(), "candidate", candidate, options.max_batch_size);
  if (!cand.ok())
    return cand.status().WithPrefix("numeric check: the compiled model");
  return CompareModels(**ref, **cand, options);
}

StatusOr<Signature> OrtSignature(const onnx::ModelProto& model) {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  ASSIGN_OR_RETURN(RuntimePlugin * runtime, Runtimes().Get("onnxruntime"));
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  host::ModelSpec spec;
  spec.name = "model";
  ASSIGN_OR_RETURN(auto loaded,
                   LoadThroughRuntime(*runtime, dir.path(), spec, bytes));
  return loaded->signature();
}

}  // namespace adlik::compiler::testing
