#include "config/runtime_parameters.h"

#include <algorithm>
#include <map>

namespace adlik::config {
namespace {

constexpr std::string_view kOnnxRuntime = "onnxruntime";

// Sets `key` to `value`, refusing a different value the config's
// `parameters` already give it.
Status Set(std::map<std::string, std::string>* params, const std::string& key,
           const std::string& value, const std::string& field) {
  auto [it, added] = params->emplace(key, value);
  if (!added && it->second != value) {
    return InvalidArgument(field + " asks for " + key + " '" + value +
                           "' but parameters set it to '" + it->second + "'");
  }
  return Status::Ok();
}

Status GraphLevel(const inference::ModelConfig& config,
                  std::string_view runtime,
                  std::map<std::string, std::string>* params) {
  if (!config.optimization().has_graph()) return Status::Ok();
  const int level = config.optimization().graph().level();
  const std::string field = "optimization.graph.level";
  if (runtime != kOnnxRuntime) {
    if (level == 0) return Status::Ok();
    return Unimplemented(field + ": " + std::to_string(level) +
                         ": the runtime '" + std::string(runtime) +
                         "' has no graph optimization levels (only 0, the "
                         "runtime's default)");
  }
  static const std::map<int, std::string> kLevels = {
      {-1, "basic"}, {0, "all"}, {1, "extended"}, {2, "disable"}};
  auto it = kLevels.find(level);
  if (it == kLevels.end()) {
    return InvalidArgument(field + ": " + std::to_string(level) +
                           " is not one of -1 (basic), 0 (all), 1 (extended), "
                           "2 (disable)");
  }
  return Set(params, "graph_optimization_level", it->second, field);
}

Status Accelerators(const inference::ModelConfig& config,
                    std::string_view runtime,
                    std::map<std::string, std::string>* params) {
  const auto& ea = config.optimization().execution_accelerators();
  const std::string field = "optimization.execution_accelerators";
  for (const auto& a : ea.cpu_execution_accelerator()) {
    return Unimplemented(
        field + ".cpu_execution_accelerator '" + a.name() + "': the runtime '" +
        std::string(runtime) +
        "' runs CPU instances on its own CPU engine only (no OpenVINO or "
        "other CPU execution provider is built in)");
  }
  if (ea.gpu_execution_accelerator().empty()) return Status::Ok();
  if (runtime != kOnnxRuntime) {
    return Unimplemented(field + ".gpu_execution_accelerator '" +
                         ea.gpu_execution_accelerator(0).name() +
                         "': the runtime '" + std::string(runtime) +
                         "' takes no execution accelerators");
  }
  bool tensorrt = false;
  for (const auto& a : ea.gpu_execution_accelerator()) {
    const std::string where =
        field + ".gpu_execution_accelerator '" + a.name() + "'";
    if (a.name() != "tensorrt" && a.name() != "cuda") {
      return Unimplemented(where +
                           ": the onnxruntime runtime knows tensorrt and "
                           "cuda only");
    }
    if (!a.parameters().empty()) {
      return Unimplemented(where + ": parameter '" +
                           a.parameters().begin()->first +
                           "': accelerator parameters are not supported yet");
    }
    tensorrt = tensorrt || a.name() == "tensorrt";
  }
  return Set(params, "tensorrt", tensorrt ? "1" : "0",
             field + ".gpu_execution_accelerator");
}

}  // namespace

StatusOr<std::vector<std::pair<std::string, std::string>>> RuntimeParameters(
    const inference::ModelConfig& config, std::string_view runtime) {
  std::map<std::string, std::string> params;
  for (const auto& [key, value] : config.parameters())
    params.emplace(key, value.string_value());
  RETURN_IF_ERROR(GraphLevel(config, runtime, &params));
  RETURN_IF_ERROR(Accelerators(config, runtime, &params));
  return std::vector<std::pair<std::string, std::string>>(params.begin(),
                                                          params.end());
}

}  // namespace adlik::config
