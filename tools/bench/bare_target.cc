#include "bare_target.h"

#include <algorithm>
#include <filesystem>

#include "config/model_config.h"
#include "repository/repository.h"
#include "repository/repository_source.h"

namespace adlik::bench {
namespace {
namespace fs = std::filesystem;

host::DeviceKind Kind(const inference::ModelConfig& config) {
  if (config.instance_group().empty()) return host::DeviceKind::kCpu;
  switch (config.instance_group(0).kind()) {
    case inference::ModelInstanceGroup::KIND_GPU:
      return host::DeviceKind::kGpu;
    case inference::ModelInstanceGroup::KIND_MODEL:
      return host::DeviceKind::kVendor;
    default:
      return host::DeviceKind::kCpu;
  }
}

// The spec the server gives the runtime: the config's batch size,
// parameters (sorted by key) and declared tensors (batch dimension
// included).
host::ModelSpec SpecOf(const inference::ModelConfig& config,
                       const std::string& version_path,
                       const std::string& model_path, int64_t version) {
  host::ModelSpec spec;
  spec.name = config.name();
  spec.version = version;
  spec.version_path = version_path;
  spec.model_path = model_path;
  spec.max_batch_size = config.max_batch_size();
  for (const auto& [key, value] : config.parameters())
    spec.parameters.emplace_back(key, value.string_value());
  std::sort(spec.parameters.begin(), spec.parameters.end());
  auto declare = [&](const auto& tensors, std::vector<TensorSpec>* out) {
    for (const auto& t : tensors) {
      TensorSpec ts{t.name(), static_cast<DataType>(t.data_type()), {}};
      if (config.max_batch_size() > 0) ts.shape.push_back(-1);
      ts.shape.insert(ts.shape.end(), t.dims().begin(), t.dims().end());
      out->push_back(std::move(ts));
    }
  };
  declare(config.input(), &spec.declared.inputs);
  declare(config.output(), &spec.declared.outputs);
  return spec;
}

}  // namespace

StatusOr<LoadedBareModel> LoadBareModel(RuntimeRegistry& registry,
                                        const std::string& base_path,
                                        const std::string& name,
                                        int64_t version) {
  repository::FileSystemSource source(base_path);
  ASSIGN_OR_RETURN(repository::ModelSnapshot snapshot, source.Read(name));
  if (snapshot.versions.empty())
    return NotFound(snapshot.path + " has no version folder");
  RETURN_IF_ERROR(snapshot.config_status);
  if (version == 0) version = snapshot.versions.back();
  if (std::find(snapshot.versions.begin(), snapshot.versions.end(), version) ==
      snapshot.versions.end()) {
    return NotFound(snapshot.path + " has no version " +
                    std::to_string(version));
  }
  const std::string where =
      snapshot.has_config ? (fs::path(snapshot.path) / "config.pbtxt").string()
                          : snapshot.path + " (no config.pbtxt)";
  LoadedBareModel loaded;
  loaded.version = version;
  inference::ModelConfig& config = loaded.config;
  config = snapshot.config;
  if (!config.name().empty() && config.name() != snapshot.name) {
    return InvalidArgument(where + ": name '" + config.name() +
                           "' does not match the model folder '" +
                           snapshot.name + "'");
  }
  config.set_name(snapshot.name);
  const std::string version_path =
      (fs::path(snapshot.path) / std::to_string(version)).string();
  StatusOr<RuntimePlugin*> runtime = registry.ForConfig(
      config.backend(), config.platform(),
      repository::ListEntries(version_path), config.default_model_filename());
  if (!runtime.ok()) return runtime.status().WithPrefix(where);
  const RuntimeInfo& info = (*runtime)->info();
  if (config.platform().empty() && !info.platforms.empty())
    config.set_platform(info.platforms.front());
  if (config.backend().empty()) config.set_backend(info.name);
  if (config.default_model_filename().empty())
    config.set_default_model_filename(info.default_model_filename);
  auto model_path = repository::ResolveInside(
      snapshot.path,
      (fs::path(std::to_string(version)) / config.default_model_filename())
          .string(),
      "model file", /*folder_ok=*/true);
  if (!model_path.ok())
    return model_path.status().WithPrefix(where + ": default_model_filename");
  ASSIGN_OR_RETURN(loaded.model,
                   BareModel::Load(**runtime, SpecOf(config, version_path,
                                                     *model_path, version)));
  RETURN_IF_ERROR(
      config::CompleteAndValidate(loaded.model->signature(), &config, where));
  return loaded;
}

BareTarget::BareTarget(LoadedBareModel loaded, std::vector<InputSpec> inputs,
                       std::vector<std::string> outputs)
    : loaded_(std::move(loaded)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {
  std::sort(outputs_.begin(), outputs_.end());
}

Status BareTarget::Prepare(int workers) {
  const int n = std::min(std::max(1, workers), InstanceCount(loaded_.config));
  return loaded_.model->AddInstances(n, Kind(loaded_.config));
}

Status BareTarget::Infer(int worker, const InputSet& set,
                         std::vector<OwnedTensor>* outputs) {
  std::vector<TensorView> views(inputs_.size());
  for (size_t k = 0; k < inputs_.size(); ++k) {
    views[k] = {inputs_[k].name, inputs_[k].type, inputs_[k].shape,
                set.data[k].data(), set.data[k].size()};
  }
  std::vector<Tensor> results;
  RETURN_IF_ERROR(loaded_.model->Run(views, outputs_, &results));
  if (outputs != nullptr) {
    outputs->clear();
    for (const Tensor& t : results) {  // in the order of outputs_: by name
      outputs->push_back(
          {t.name, t.type, t.shape, std::string(t.data, t.byte_size)});
    }
  }
  return Status::Ok();
}

}  // namespace adlik::bench
