#include "config/model_config.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "adlik/tensor.h"
#include "base/text_proto.h"
#include "config/tensor_reshape.h"

namespace adlik::config {
namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::vector<int64_t> ToVector(
    const google::protobuf::RepeatedField<int64_t>& r) {
  return {r.begin(), r.end()};
}

DataType ToDataType(inference::DataType t) { return static_cast<DataType>(t); }

// The part of an engine shape the config's dims describe.
StatusOr<std::vector<int64_t>> EngineDims(const inference::ModelConfig& config,
                                          const TensorSpec& spec) {
  if (config.max_batch_size() == 0) return spec.shape;
  if (spec.shape.empty()) {
    return InvalidArgument("max_batch_size is " +
                           std::to_string(config.max_batch_size()) +
                           " but the model's '" + spec.name +
                           "' is a scalar with no batch dimension");
  }
  const int64_t batch = spec.shape[0];
  if (batch != -1 && batch < config.max_batch_size()) {
    return InvalidArgument(
        "max_batch_size is " + std::to_string(config.max_batch_size()) +
        " but the model fixes the first dimension of '" + spec.name + "' to " +
        std::to_string(batch) + "; set max_batch_size: 0 or make it dynamic");
  }
  return std::vector<int64_t>(spec.shape.begin() + 1, spec.shape.end());
}

// Dims [1] for an engine's scalar are accepted (Triton's ONNX Runtime
// backend does the same): clients send and receive [1], the runtime gets and
// gives the scalar; only without batching (`unbatched`).
bool DimsCompatible(const std::vector<int64_t>& config_dims,
                    const std::vector<int64_t>& engine_dims, bool unbatched) {
  if (unbatched && engine_dims.empty() &&
      config_dims == std::vector<int64_t>{1})
    return true;
  if (config_dims.size() != engine_dims.size()) return false;
  for (size_t i = 0; i < config_dims.size(); ++i) {
    if (engine_dims[i] != -1 && config_dims[i] != engine_dims[i]) return false;
  }
  return true;
}

const TensorSpec* FindSpec(const std::vector<TensorSpec>& specs,
                           const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

// Checks one config tensor list against the engine's, completing it when
// empty. `kind` is "input" or "output".
template <typename ConfigTensor>
Status MatchTensors(const inference::ModelConfig& config,
                    const std::vector<TensorSpec>& engine,
                    google::protobuf::RepeatedPtrField<ConfigTensor>* tensors,
                    std::string_view kind, bool all_required) {
  if (tensors->empty()) {
    for (const TensorSpec& spec : engine) {
      ASSIGN_OR_RETURN(std::vector<int64_t> dims, EngineDims(config, spec));
      ConfigTensor* t = tensors->Add();
      t->set_name(spec.name);
      t->set_data_type(static_cast<inference::DataType>(spec.type));
      for (int64_t d : dims) t->add_dims(d);
    }
    return Status::Ok();
  }
  for (ConfigTensor& t : *tensors) {
    const std::string where = std::string(kind) + " '" + t.name() + "'";
    const TensorSpec* spec = FindSpec(engine, t.name());
    if (spec == nullptr) {
      std::string known;
      for (const auto& s : engine)
        known += (known.empty() ? "" : ", ") + s.name;
      return InvalidArgument(where + ": the model has no " + std::string(kind) +
                             " of that name (it has: " + known + ")");
    }
    if (ToDataType(t.data_type()) != spec->type) {
      return InvalidArgument(where + ": data_type " +
                             inference::DataType_Name(t.data_type()) +
                             " does not match the model's " +
                             std::string(DataTypeName(spec->type)));
    }
    auto engine_dims = EngineDims(config, *spec);
    if (!engine_dims.ok()) return engine_dims.status().WithPrefix(where);
    // The runtime sees the reshape where there is one, the client the dims.
    const bool reshaped = t.has_reshape();
    const std::vector<int64_t> runtime_dims =
        ToVector(reshaped ? t.reshape().shape() : t.dims());
    if (!DimsCompatible(runtime_dims, *engine_dims,
                        config.max_batch_size() == 0)) {
      return InvalidArgument(
          where + (reshaped ? ": reshape " : ": dims ") +
          DimsString(runtime_dims) + " do not match the model's " +
          DimsString(*engine_dims) +
          (config.max_batch_size() > 0 ? " (the batch dimension left out)"
                                       : ""));
    }
  }
  if (all_required) {
    for (const TensorSpec& spec : engine) {
      const bool listed =
          std::any_of(tensors->begin(), tensors->end(),
                      [&](const auto& t) { return t.name() == spec.name; });
      if (!listed) {
        return InvalidArgument("the model's " + std::string(kind) + " '" +
                               spec.name + "' is missing from the config");
      }
    }
  }
  return Status::Ok();
}

template <typename ConfigTensor>
Status CheckTensorList(
    const google::protobuf::RepeatedPtrField<ConfigTensor>& list,
    std::string_view kind) {
  std::vector<std::string> seen;
  for (const auto& t : list) {
    const std::string where = std::string(kind) + " '" + t.name() + "'";
    if (t.name().empty())
      return InvalidArgument(std::string(kind) + ": empty name");
    if (std::find(seen.begin(), seen.end(), t.name()) != seen.end()) {
      return InvalidArgument(where + ": listed twice");
    }
    seen.push_back(t.name());
    if (t.data_type() == inference::TYPE_INVALID) {
      return InvalidArgument(where + ": data_type is missing");
    }
    for (int64_t d : t.dims()) {
      if (d < -1) {
        return InvalidArgument(where + ": dims " +
                               DimsString(ToVector(t.dims())) +
                               ": a dimension must be -1 (any) or >= 0");
      }
    }
    std::vector<int64_t> fixed;
    for (int64_t d : t.dims()) fixed.push_back(d < 0 ? 1 : d);
    if (!CheckedElementCount(fixed)) {
      return InvalidArgument(where + ": dims " +
                             DimsString(ToVector(t.dims())) +
                             " have more elements than a 64-bit count holds");
    }
    if (t.has_reshape()) {
      Status s =
          CheckReshape(ToVector(t.dims()), ToVector(t.reshape().shape()));
      if (!s.ok()) return s.WithPrefix(where);
    }
    if (t.is_shape_tensor()) {
      return InvalidArgument(where +
                             ": is_shape_tensor: shape tensors are a TensorRT "
                             "feature this server does not support");
    }
    if (t.is_non_linear_format_io()) {
      return InvalidArgument(where +
                             ": is_non_linear_format_io: non-linear IO "
                             "formats are a TensorRT feature this server "
                             "does not support");
    }
  }
  return Status::Ok();
}

// Bounds on the numbers a config may hold: whatever a config says, the
// server never sizes memory, threads or times from a value past these.
constexpr int64_t kMaxBatchSize = 1 << 20;
constexpr int64_t kMaxInstances = 256;  // per model, all groups together
constexpr uint64_t kMaxPriorityLevels = 1024;
constexpr uint64_t kMaxQueueSize = 1 << 20;
constexpr uint64_t kMaxMicroseconds = 24ull * 3600 * 1000 * 1000;  // a day
constexpr uint32_t kMaxLatestVersions = 1024;
constexpr uint32_t kMaxResourceCount = 1 << 20;
constexpr uint32_t kMaxWarmupCount = 1000;
constexpr uint64_t kMaxWarmupBytes = 256ull << 20;  // one input of a sample

Status CheckRange(std::string_view field, uint64_t value, uint64_t max) {
  if (value <= max) return Status::Ok();
  return InvalidArgument(std::string(field) + ": " + std::to_string(value) +
                         " is above the limit of " + std::to_string(max));
}

Status CheckQueuePolicy(const inference::ModelQueuePolicy& q,
                        const std::string& where) {
  RETURN_IF_ERROR(CheckRange(where + ".default_timeout_microseconds",
                             q.default_timeout_microseconds(),
                             kMaxMicroseconds));
  return CheckRange(where + ".max_queue_size", q.max_queue_size(),
                    kMaxQueueSize);
}

Status NotSupported(const std::string& field, std::string_view why) {
  return Unimplemented(field + ": not supported yet (" + std::string(why) +
                       ")");
}

// Triton fields this server does not implement: a config that uses one is
// refused with its name rather than served differently from what it says.
Status CheckUnsupportedFields(const inference::ModelConfig& config) {
  if (config.has_sequence_batching()) {
    return NotSupported("sequence_batching",
                        "stateful models: requests of a sequence are not "
                        "routed to one instance");
  }
  if (config.has_ensemble_scheduling() || config.platform() == "ensemble") {
    return NotSupported("ensemble_scheduling",
                        "ensembles of models are not scheduled");
  }
  if (config.response_cache().enable()) {
    return NotSupported("response_cache", "responses are not cached");
  }
  if (!config.batch_input().empty()) {
    return NotSupported("batch_input", "ragged batching");
  }
  if (!config.batch_output().empty()) {
    return NotSupported("batch_output", "ragged batching");
  }
  if (!config.runtime().empty()) {
    return NotSupported("runtime",
                        "a runtime is named by backend or found by "
                        "platform; it is not a library file of the config");
  }
  if (!config.cc_model_filenames().empty()) {
    return NotSupported("cc_model_filenames",
                        "one model file per version (default_model_filename)");
  }
  if (!config.model_operations().op_library_filename().empty()) {
    return NotSupported("model_operations.op_library_filename",
                        "custom operator libraries are not loaded");
  }
  if (!config.model_repository_agents().agents().empty()) {
    return NotSupported("model_repository_agents",
                        "no repository agents run on load");
  }
  for (const auto& in : config.input()) {
    if (in.allow_ragged_batch()) {
      return NotSupported("input '" + in.name() + "': allow_ragged_batch",
                          "requests batch only when their shapes agree");
    }
  }
  for (const auto& g : config.instance_group()) {
    const std::string where = "instance_group '" + g.name() + "'";
    if (!g.secondary_devices().empty()) {
      return NotSupported(where + ": secondary_devices", "NVDLA cores");
    }
    if (!g.profile().empty()) {
      return NotSupported(where + ": profile", "TensorRT profiles");
    }
    if (g.passive()) {
      return NotSupported(where + ": passive", "every instance takes requests");
    }
    if (!g.host_policy().empty()) {
      return NotSupported(where + ": host_policy", "no per-host NUMA policies");
    }
  }
  return Status::Ok();
}

Status CheckRateLimiter(const inference::ModelInstanceGroup& g) {
  const std::string where = "instance_group '" + g.name() + "': rate_limiter";
  std::vector<std::string> seen;
  for (const auto& r : g.rate_limiter().resources()) {
    if (r.name().empty()) {
      return InvalidArgument(where + ".resources: a resource has no name");
    }
    if (std::find(seen.begin(), seen.end(), r.name()) != seen.end()) {
      return InvalidArgument(where + ".resources: '" + r.name() +
                             "' listed twice");
    }
    seen.push_back(r.name());
    RETURN_IF_ERROR(CheckRange(where + ".resources '" + r.name() + "'.count",
                               r.count(), kMaxResourceCount));
  }
  return Status::Ok();
}

Status CheckWarmup(const inference::ModelConfig& config) {
  std::vector<std::string> names;
  for (const auto& w : config.model_warmup()) {
    const std::string where = "model_warmup '" + w.name() + "'";
    if (w.name().empty()) {
      return InvalidArgument("model_warmup: a sample has no name");
    }
    if (std::find(names.begin(), names.end(), w.name()) != names.end()) {
      return InvalidArgument(where + ": listed twice");
    }
    names.push_back(w.name());
    if (w.batch_size() < 1) {
      return InvalidArgument(where + ": batch_size must be >= 1");
    }
    if (config.max_batch_size() == 0 && w.batch_size() != 1) {
      return InvalidArgument(where + ": batch_size " +
                             std::to_string(w.batch_size()) +
                             " but the model does not batch "
                             "(max_batch_size 0): it must be 1");
    }
    if (config.max_batch_size() > 0 &&
        w.batch_size() > static_cast<uint32_t>(config.max_batch_size())) {
      return InvalidArgument(where + ": batch_size " +
                             std::to_string(w.batch_size()) +
                             " is above max_batch_size " +
                             std::to_string(config.max_batch_size()));
    }
    RETURN_IF_ERROR(CheckRange(where + ".count", w.count(), kMaxWarmupCount));
    for (const auto& [name, in] : w.inputs()) {
      const std::string input = where + ": input '" + name + "'";
      if (in.data_type() == inference::TYPE_INVALID) {
        return InvalidArgument(input + ": data_type is missing");
      }
      if (in.input_data_type_case() ==
          inference::ModelWarmup::Input::INPUT_DATA_TYPE_NOT_SET) {
        return InvalidArgument(input +
                               ": set one of zero_data, random_data, "
                               "input_data_file");
      }
      for (int64_t d : in.dims()) {
        if (d < 0) {
          return InvalidArgument(input + ": dims " +
                                 DimsString(ToVector(in.dims())) +
                                 ": a warm-up sample has fixed dimensions");
        }
      }
      auto bytes = CheckedByteSize(
          ToVector(in.dims()), in.data_type() == inference::TYPE_STRING
                                   ? 1
                                   : DataTypeSize(ToDataType(in.data_type())));
      if (!bytes || *bytes * w.batch_size() > kMaxWarmupBytes) {
        return InvalidArgument(input + ": dims " +
                               DimsString(ToVector(in.dims())) +
                               " make a sample larger than " +
                               std::to_string(kMaxWarmupBytes) + " bytes");
      }
    }
  }
  return Status::Ok();
}

Status CheckOwnFields(const inference::ModelConfig& config) {
  RETURN_IF_ERROR(CheckUnsupportedFields(config));
  if (config.max_batch_size() < 0) {
    return InvalidArgument("max_batch_size: must be >= 0, got " +
                           std::to_string(config.max_batch_size()));
  }
  RETURN_IF_ERROR(
      CheckRange("max_batch_size", config.max_batch_size(), kMaxBatchSize));
  RETURN_IF_ERROR(CheckTensorList(config.input(), "input"));
  RETURN_IF_ERROR(CheckTensorList(config.output(), "output"));
  int64_t instances = 0;
  for (const auto& g : config.instance_group()) {
    if (g.count() < 0) {
      return InvalidArgument("instance_group '" + g.name() +
                             "': count must be >= 0");
    }
    for (int32_t gpu : g.gpus()) {
      if (gpu < 0) {
        return InvalidArgument("instance_group '" + g.name() + "': gpus: " +
                               std::to_string(gpu) + " is not a device id");
      }
    }
    instances += std::max(1, g.count()) * std::max(1, g.gpus_size());
    RETURN_IF_ERROR(CheckRateLimiter(g));
  }
  RETURN_IF_ERROR(CheckRange("instance_group (instances in all)", instances,
                             kMaxInstances));
  if (config.version_policy().has_latest()) {
    RETURN_IF_ERROR(CheckRange("version_policy.latest.num_versions",
                               config.version_policy().latest().num_versions(),
                               kMaxLatestVersions));
  }
  for (int64_t v : config.version_policy().specific().versions()) {
    if (v < 0) {
      return InvalidArgument("version_policy.specific: version " +
                             std::to_string(v) + " is negative");
    }
  }
  RETURN_IF_ERROR(CheckWarmup(config));
  if (config.has_dynamic_batching()) {
    const auto& db = config.dynamic_batching();
    if (config.max_batch_size() == 0) {
      return InvalidArgument(
          "dynamic_batching: needs max_batch_size > 0 (the model has no "
          "batch dimension)");
    }
    RETURN_IF_ERROR(CheckRange("dynamic_batching.priority_levels",
                               db.priority_levels(), kMaxPriorityLevels));
    RETURN_IF_ERROR(CheckRange("dynamic_batching.max_queue_delay_microseconds",
                               db.max_queue_delay_microseconds(),
                               kMaxMicroseconds));
    RETURN_IF_ERROR(CheckQueuePolicy(db.default_queue_policy(),
                                     "dynamic_batching.default_queue_policy"));
    if (db.default_priority_level() > db.priority_levels()) {
      return InvalidArgument("dynamic_batching.default_priority_level: " +
                             std::to_string(db.default_priority_level()) +
                             " is outside the priority_levels 1.." +
                             std::to_string(db.priority_levels()));
    }
    for (const auto& [level, policy] : db.priority_queue_policy()) {
      if (level < 1 || level > db.priority_levels()) {
        return InvalidArgument(
            "dynamic_batching.priority_queue_policy: level " +
            std::to_string(level) + " is outside the priority_levels 1.." +
            std::to_string(db.priority_levels()));
      }
      RETURN_IF_ERROR(
          CheckQueuePolicy(policy, "dynamic_batching.priority_queue_policy[" +
                                       std::to_string(level) + "]"));
    }
    if (db.preferred_batch_size_size() > config.max_batch_size()) {
      return InvalidArgument(
          "dynamic_batching.preferred_batch_size: more sizes than "
          "max_batch_size");
    }
    for (int32_t p : db.preferred_batch_size()) {
      if (p < 1 || p > config.max_batch_size()) {
        return InvalidArgument(
            "dynamic_batching.preferred_batch_size: " + std::to_string(p) +
            " is outside 1.." + std::to_string(config.max_batch_size()));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<inference::ModelConfig> ParseModelConfig(std::string_view text,
                                                  std::string_view source) {
  inference::ModelConfig config;
  RETURN_IF_ERROR(ParseTextProto(text, source, &config));
  return config;
}

StatusOr<inference::ModelConfig> ReadModelConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseModelConfig(text.str(), path);
}

Status CheckConfig(const inference::ModelConfig& config,
                   std::string_view source) {
  return CheckOwnFields(config).WithPrefix(source);
}

Status CompleteAndValidate(const Signature& signature,
                           inference::ModelConfig* config,
                           std::string_view source) {
  const std::string prefix(source);
  Status s = CheckOwnFields(*config);
  if (s.ok()) {
    s = MatchTensors(*config, signature.inputs, config->mutable_input(),
                     "input", /*all_required=*/true);
  }
  if (s.ok()) {
    s = MatchTensors(*config, signature.outputs, config->mutable_output(),
                     "output", /*all_required=*/false);
  }
  return s.WithPrefix(prefix);
}

}  // namespace adlik::config
