// The TopsInference pass, compiled only when CMake finds the SDK. Written
// against the TopsInference C++ API (TopsInference/TopsInferRuntime.h).
#include "passes/topsinference_build.h"

#include <TopsInference/TopsInferRuntime.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx_model.h"

namespace adlik::compiler {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string TopsInferenceMissing() { return ""; }

StatusOr<std::string> BuildTopsInferenceEngine(const onnx::ModelProto& model,
                                               bool mixed_fp16) {
  ASSIGN_OR_RETURN(std::string bytes, SerializeOnnx(model));
  std::string dir =
      (std::filesystem::temp_directory_path() / "adlik_tops_XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr)
    return Internal("cannot create a temporary folder");
  const std::string onnx_path = dir + "/model.onnx";
  const std::string exec_path = dir + "/model.exec";
  std::ofstream(onnx_path, std::ios::binary) << bytes;

  Status status;
  std::string engine_bytes;
  TopsInference::topsInference_init();
  uint32_t cluster_ids[] = {0};
  void* device = TopsInference::set_device(0, cluster_ids);
  TopsInference::IParser* parser =
      TopsInference::create_parser(TopsInference::TIF_ONNX);
  TopsInference::IOptimizer* optimizer = TopsInference::create_optimizer();
  TopsInference::INetwork* network =
      parser ? parser->readModel(onnx_path.c_str()) : nullptr;
  if (network == nullptr) {
    status = InvalidArgument("TopsInference cannot parse the ONNX model");
  } else {
    optimizer->getConfig()->setBuildFlag(
        mixed_fp16 ? TopsInference::BuildFlag::TIF_KTYPE_MIX_FP16
                   : TopsInference::BuildFlag::TIF_KTYPE_DEFAULT);
    TopsInference::IEngine* engine = optimizer->build(network);
    if (engine == nullptr || !engine->saveExecutable(exec_path.c_str())) {
      status = Internal("TopsInference could not build the engine");
    } else {
      engine_bytes = ReadAll(exec_path);
    }
    if (engine != nullptr) TopsInference::release_engine(engine);
    TopsInference::release_network(network);
  }
  if (optimizer != nullptr) TopsInference::release_optimizer(optimizer);
  if (parser != nullptr) TopsInference::release_parser(parser);
  TopsInference::release_device(device);
  TopsInference::topsInference_finish();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  RETURN_IF_ERROR(status);
  return engine_bytes;
}

}  // namespace adlik::compiler
