#include "lifecycle/served_model.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/logging.h"
#include "config/runtime_parameters.h"
#include "lifecycle/model_warmup.h"
#include "lifecycle/rate_limited_instance.h"
#include "lifecycle/reshaping_instance.h"
#include "repository/repository.h"

namespace adlik {
namespace fs = std::filesystem;

namespace {

StatusOr<std::vector<std::string>> ReadLabels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open label file " + path);
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(std::move(line));
  }
  return labels;
}

QueuePolicy QueuePolicyOf(const inference::ModelQueuePolicy& q) {
  QueuePolicy p;
  p.reject_on_timeout =
      q.timeout_action() == inference::ModelQueuePolicy::REJECT;
  p.default_timeout_us = q.default_timeout_microseconds();
  p.allow_timeout_override = q.allow_timeout_override();
  p.max_queue_size = q.max_queue_size();
  return p;
}

BatchingPolicy BatchingPolicyOf(const inference::ModelConfig& config) {
  BatchingPolicy p;
  p.max_batch_size = config.max_batch_size();
  if (!config.has_dynamic_batching()) return p;
  const auto& db = config.dynamic_batching();
  p.dynamic_batching = true;
  p.preferred_batch_sizes.assign(db.preferred_batch_size().begin(),
                                 db.preferred_batch_size().end());
  std::sort(p.preferred_batch_sizes.begin(), p.preferred_batch_sizes.end());
  p.max_queue_delay_us = db.max_queue_delay_microseconds();
  p.preserve_ordering = db.preserve_ordering();
  p.priority_levels = static_cast<uint32_t>(db.priority_levels());
  p.default_priority_level = static_cast<uint32_t>(db.default_priority_level());
  p.default_queue_policy = QueuePolicyOf(db.default_queue_policy());
  for (const auto& [level, q] : db.priority_queue_policy()) {
    p.priority_queue_policy[static_cast<uint32_t>(level)] = QueuePolicyOf(q);
  }
  return p;
}

}  // namespace

const std::vector<std::string>& ServedModel::labels(
    const std::string& output) const {
  static const std::vector<std::string> kNone;
  auto it = labels_.find(output);
  return it == labels_.end() ? kNone : it->second;
}

ServedModel::~ServedModel() {
  scheduler_.reset();
  model_.reset();
}

StatusOr<std::shared_ptr<ServedModel>> ServedModel::Load(
    const repository::ModelSnapshot& snapshot, int64_t version,
    inference::ModelConfig config, const LoadOptions& options,
    SharedStatistics stats) {
  const std::string source =
      snapshot.has_config
          ? (fs::path(snapshot.path) / "config.pbtxt").string()
          : snapshot.path + " (no config.pbtxt; completed from the model)";
  if (!config.name().empty() && config.name() != snapshot.name) {
    return InvalidArgument(source + ": name '" + config.name() +
                           "' does not match the model folder '" +
                           snapshot.name + "'");
  }
  config.set_name(snapshot.name);
  const std::string version_path =
      (fs::path(snapshot.path) / std::to_string(version)).string();
  // The runtime: named by `backend`, or the one that serves `platform`, or
  // the one whose model file is in the version folder.
  StatusOr<RuntimePlugin*> found =
      !config.backend().empty() ? options.registry->Get(config.backend())
      : !config.platform().empty()
          ? options.registry->ForPlatform(config.platform())
          : options.registry->ForModelFile(
                repository::ListEntries(version_path),
                config.default_model_filename());
  if (!found.ok()) return found.status().WithPrefix(source);
  RuntimePlugin* runtime = *found;
  const RuntimeInfo& info = runtime->info();
  const std::string runtime_name = info.name;
  if (config.platform().empty() && !info.platforms.empty())
    config.set_platform(info.platforms.front());
  if (config.backend().empty()) config.set_backend(runtime_name);
  if (config.default_model_filename().empty())
    config.set_default_model_filename(info.default_model_filename);
  // Every file a config names is read from inside the model's folder. The
  // model file may be a folder (a TensorFlow SavedModel): the runtime reads
  // what it needs in it.
  auto resolved = repository::ResolveInside(
      snapshot.path,
      (fs::path(std::to_string(version)) / config.default_model_filename())
          .string(),
      "model file", /*folder_ok=*/true);
  if (!resolved.ok()) {
    return resolved.status().WithPrefix(source + ": default_model_filename");
  }
  const std::string model_path = *resolved;

  host::ModelSpec spec;
  spec.name = snapshot.name;
  spec.version = version;
  spec.version_path = version_path;
  spec.model_path = model_path;
  spec.max_batch_size = config.max_batch_size();
  // Fields checked on their own first, so that a config the server refuses
  // (an unsupported field, a bad reshape) never reaches the runtime.
  RETURN_IF_ERROR(config::CheckConfig(config, source));
  auto parameters = config::RuntimeParameters(config, runtime_name);
  if (!parameters.ok()) return parameters.status().WithPrefix(source);
  spec.parameters = std::move(parameters).value();
  // The runtime sees a reshaped tensor with the reshape's shape.
  auto declare = [&](const auto& tensors, std::vector<TensorSpec>* out) {
    for (const auto& t : tensors) {
      TensorSpec ts{t.name(), static_cast<DataType>(t.data_type()), {}};
      if (config.max_batch_size() > 0) ts.shape.push_back(-1);
      const auto& dims = t.has_reshape() ? t.reshape().shape() : t.dims();
      ts.shape.insert(ts.shape.end(), dims.begin(), dims.end());
      out->push_back(std::move(ts));
    }
  };
  declare(config.input(), &spec.declared.inputs);
  declare(config.output(), &spec.declared.outputs);
  ASSIGN_OR_RETURN(std::unique_ptr<host::Model> model,
                   runtime->LoadModel(spec));

  RETURN_IF_ERROR(
      config::CompleteAndValidate(model->signature(), &config, source));
  std::map<std::string, std::vector<std::string>> labels;
  for (const auto& out : config.output()) {
    if (out.label_filename().empty()) continue;
    auto path = repository::ResolveInside(snapshot.path, out.label_filename(),
                                          "label file");
    auto read = path.ok() ? ReadLabels(*path)
                          : StatusOr<std::vector<std::string>>(path.status());
    if (!read.ok()) {
      return read.status().WithPrefix(source + ": output '" + out.name() +
                                      "': label_filename");
    }
    labels[out.name()] = std::move(read).value();
  }
  return Create(version, runtime_name, std::move(config), std::move(labels),
                std::move(model), source, snapshot.path, std::move(stats),
                options.rate_limiter);
}

StatusOr<std::shared_ptr<ServedModel>> ServedModel::Create(
    int64_t version, std::string runtime_name, inference::ModelConfig config,
    std::map<std::string, std::vector<std::string>> labels,
    std::unique_ptr<host::Model> model, const std::string& source,
    const std::string& model_dir, SharedStatistics stats,
    std::shared_ptr<RateLimiter> rate_limiter) {
  std::shared_ptr<ServedModel> m(new ServedModel());
  m->name_ = config.name();
  m->version_ = version;
  m->version_string_ = std::to_string(version);
  m->runtime_name_ = std::move(runtime_name);
  m->labels_ = std::move(labels);
  m->stats_ = stats ? std::move(stats) : std::make_shared<ModelStatistics>();
  if (config.instance_group().empty()) {
    auto* g = config.add_instance_group();
    g->set_count(1);
    g->set_kind(inference::ModelInstanceGroup::KIND_CPU);
  }
  for (int i = 0; i < config.instance_group_size(); ++i) {
    auto* g = config.mutable_instance_group(i);
    if (g->name().empty()) g->set_name(config.name() + "_" + std::to_string(i));
    if (g->count() == 0) g->set_count(1);
    if (g->kind() == inference::ModelInstanceGroup::KIND_AUTO)
      g->set_kind(inference::ModelInstanceGroup::KIND_CPU);
  }
  m->config_ = std::move(config);
  m->model_ = std::move(model);

  std::vector<std::unique_ptr<host::Instance>> instances;
  bool limited = false;
  for (const auto& g : m->config_.instance_group()) {
    host::InstanceSpec is;
    switch (g.kind()) {
      case inference::ModelInstanceGroup::KIND_GPU:
        is.kind = host::DeviceKind::kGpu;
        break;
      case inference::ModelInstanceGroup::KIND_MODEL:
        is.kind = host::DeviceKind::kVendor;
        break;
      default:
        is.kind = host::DeviceKind::kCpu;
    }
    // GPU and vendor groups spread over the devices they list.
    std::vector<int> devices{0};
    if (is.kind != host::DeviceKind::kCpu && g.gpus_size() > 0) {
      devices.assign(g.gpus().begin(), g.gpus().end());
    }
    for (int device : devices) {
      for (int k = 0; k < g.count(); ++k) {
        is.device_id = device;
        is.name = g.name() + "_" + std::to_string(instances.size());
        auto instance = m->model_->CreateInstance(is);
        if (!instance.ok()) {
          return instance.status().WithPrefix(source + ": instance_group '" +
                                              g.name() + "'");
        }
        std::unique_ptr<host::Instance> made = std::move(instance).value();
        const auto& rl = g.rate_limiter();
        if (rate_limiter && !rl.resources().empty()) {
          std::vector<RateLimiter::Resource> resources;
          for (const auto& r : rl.resources())
            resources.push_back({r.name(), r.global(), r.count()});
          if (Status fits = rate_limiter->CheckFits(resources, device);
              !fits.ok()) {
            return fits.WithPrefix(source + ": instance_group '" + g.name() +
                                   "'");
          }
          auto client = rate_limiter->Register(std::move(resources), device,
                                               rl.priority());
          made = std::make_unique<RateLimitedInstance>(
              std::move(made), rate_limiter, std::move(client));
          limited = true;
        }
        instances.push_back(std::move(made));
      }
    }
  }
  auto reshapes = std::make_shared<const Reshapes>(Reshapes::Of(m->config_));
  if (!reshapes->empty()) {
    for (auto& instance : instances) {
      instance =
          std::make_unique<ReshapingInstance>(std::move(instance), reshapes);
    }
  }
  // Not READY before every instance ran every warm-up sample.
  RETURN_IF_ERROR(RunWarmup(m->config_, model_dir, instances, source));
  SchedulerOptions so;
  so.model_name = m->name_;
  so.policy = BatchingPolicyOf(m->config_);
  so.stats = m->stats_.get();
  // A request never waits for resources on the caller's (an I/O) thread.
  if (limited) so.run_inline = false;
  m->scheduler_ =
      std::make_unique<Scheduler>(std::move(so), std::move(instances));
  return m;
}

}  // namespace adlik
