#include "passes/ort_optimize.h"

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>

#include <cstdlib>
#include <mutex>

#include "onnx_model.h"
#include "temp_dir.h"

namespace adlik::compiler {
namespace {

// ONNX Runtime's C API, checked once: a library older than the headers is an
// error, not a crash.
Status InitOrtApi() {
  static std::once_flag once;
  static Status error;
  std::call_once(once, [] {
    // No telemetry from ONNX Runtime's official build: it is read when the
    // first environment is created (see the ONNX Runtime plugin).
    setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      error = Internal("the ONNX Runtime library found at run time (" +
                       std::string(OrtGetApiBase()->GetVersionString()) +
                       ") is older than the headers the compiler was built "
                       "with (API " +
                       std::to_string(ORT_API_VERSION) + ")");
      return;
    }
    Ort::InitApi(api);
  });
  return error;
}

StatusOr<GraphOptimizationLevel> Level(std::string_view level) {
  if (level == "disable") return ORT_DISABLE_ALL;
  if (level == "basic") return ORT_ENABLE_BASIC;
  if (level == "extended") return ORT_ENABLE_EXTENDED;
  if (level == "all") return ORT_ENABLE_ALL;
  return InvalidArgument("optimization_level '" + std::string(level) +
                         "' is not one of disable, basic, extended, all");
}

}  // namespace

StatusOr<onnx::ModelProto> OptimizeWithOrt(const onnx::ModelProto& model,
                                           std::string_view level) {
  RETURN_IF_ERROR(InitOrtApi());
  ASSIGN_OR_RETURN(GraphOptimizationLevel ort_level, Level(level));
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create());
  const std::string optimized_path = dir.path() + "/optimized.onnx";
  try {
    // The environment lives for this pass only: the ONNX Runtime runtime
    // plugin, loaded into the same process by the numeric check, makes the
    // process's environment its own way (with global thread pools), and ONNX
    // Runtime keeps one environment per process while any is alive.
    Ort::Env env(ORT_LOGGING_LEVEL_FATAL, "adlik_compiler");
    Ort::SessionOptions options;
    options.SetGraphOptimizationLevel(ort_level);
    options.SetIntraOpNumThreads(1);
    options.AddConfigEntry("session.intra_op.allow_spinning", "0");
    options.SetOptimizedModelFilePath(optimized_path.c_str());
    Ort::Session session(env, bytes.data(), bytes.size(), options);
  } catch (const Ort::Exception& e) {
    return InvalidArgument(std::string("ONNX Runtime cannot load the model: ") +
                           e.what());
  } catch (const std::exception& e) {
    return Internal(std::string("ONNX Runtime: ") + e.what());
  }
  auto optimized = ReadOnnxFile(optimized_path);
  if (!optimized.ok()) {
    return Internal("ONNX Runtime did not write the optimised model: " +
                    optimized.status().message());
  }
  return optimized;
}

}  // namespace adlik::compiler
