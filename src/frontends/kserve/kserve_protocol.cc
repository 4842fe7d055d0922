#include "frontends/kserve/kserve_protocol.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

namespace adlik::kserve {
namespace {

// An integer >= 0, from whichever integer the wire carried.
std::optional<uint64_t> NonNegative(const ParameterValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v); i != nullptr && *i >= 0)
    return static_cast<uint64_t>(*i);
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& Extensions() {
  static const std::vector<std::string> kExtensions = {
      "binary_tensor_data",
      "classification",
      "model_configuration",
      "model_repository",
      "model_repository(unload_dependents)",
      "schedule_policy",
      "statistics",
      "system_shared_memory",
      "trace",
      "logging"};
  return kExtensions;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 400;
  }
}

Status ApplyRequestParameter(std::string_view key, const ParameterValue& value,
                             InferRequest* request) {
  if (key == "priority") {
    auto v = NonNegative(value);
    if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return InvalidArgument("parameter 'priority' must be an integer >= 0");
    request->priority = static_cast<int64_t>(*v);
  } else if (key == "timeout") {
    auto v = NonNegative(value);
    if (!v)
      return InvalidArgument(
          "parameter 'timeout' must be an integer >= 0 (microseconds)");
    request->timeout_us = *v;
  }
  return Status::Ok();
}

Status ApplyOutputParameter(std::string_view key, const ParameterValue& value,
                            RequestedOutput* output) {
  if (key == "classification") {
    auto v = NonNegative(value);
    if (!v || *v < 1 || *v > std::numeric_limits<uint32_t>::max()) {
      return InvalidArgument("output '" + output->name +
                             "': classification must be an integer >= 1");
    }
    output->classification = static_cast<uint32_t>(*v);
  }
  return Status::Ok();
}

bool SharedMemoryRefs::any() const {
  auto set = [](const auto& v) { return v.has_value(); };
  return std::any_of(inputs.begin(), inputs.end(), set) ||
         std::any_of(outputs.begin(), outputs.end(), set);
}

Status ApplySharedMemoryParameter(std::string_view what, std::string_view key,
                                  const ParameterValue& value,
                                  SharedMemoryParameters* params, bool* taken) {
  *taken = true;
  if (key == "shared_memory_region") {
    const auto* s = std::get_if<std::string_view>(&value);
    if (s == nullptr || s->empty()) {
      return InvalidArgument(std::string(what) +
                             ": shared_memory_region must be a non-empty "
                             "string");
    }
    params->region = std::string(*s);
  } else if (key == "shared_memory_offset" ||
             key == "shared_memory_byte_size") {
    auto v = NonNegative(value);
    if (!v) {
      return InvalidArgument(std::string(what) + ": " + std::string(key) +
                             " must be an integer >= 0");
    }
    (key == "shared_memory_offset" ? params->offset : params->byte_size) = *v;
  } else {
    *taken = false;
  }
  return Status::Ok();
}

StatusOr<std::optional<SharedMemoryRef>> FinishSharedMemoryRef(
    std::string_view what, const SharedMemoryParameters& params) {
  if (!params.region) {
    if (params.offset || params.byte_size) {
      return InvalidArgument(std::string(what) +
                             ": shared_memory_offset or "
                             "shared_memory_byte_size without "
                             "shared_memory_region");
    }
    return std::optional<SharedMemoryRef>();
  }
  if (!params.byte_size) {
    return InvalidArgument(std::string(what) +
                           ": shared_memory_region needs "
                           "shared_memory_byte_size");
  }
  return std::optional<SharedMemoryRef>(SharedMemoryRef{
      *params.region, params.offset.value_or(0), *params.byte_size});
}

Status NoCudaSharedMemory() {
  return Unavailable(
      "CUDA shared memory is unavailable: this server was built without "
      "CUDA");
}

Status NoSystemSharedMemory() {
  return Unimplemented("system shared memory is off in this server");
}

StatusOr<DataType> ParseTensorDataType(std::string_view input,
                                       std::string_view name) {
  auto type = ParseDataType(name);
  if (!type || name.starts_with("TYPE_")) {
    return InvalidArgument("input '" + std::string(input) +
                           "': unknown datatype '" + std::string(name) + "'");
  }
  return *type;
}

Status CheckDimension(std::string_view input, int64_t dim) {
  if (dim < 0) {
    return InvalidArgument("input '" + std::string(input) +
                           "': shape entries must be integers >= 0");
  }
  return Status::Ok();
}

Status CheckModelVersion(std::string_view version) {
  if (version.empty()) return Status::Ok();
  int64_t v = 0;
  const char* end = version.data() + version.size();
  const bool digits = std::all_of(version.begin(), version.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  auto [p, ec] = std::from_chars(version.data(), end, v);
  if (digits && ec == std::errc() && p == end) return Status::Ok();
  return InvalidArgument(
      "model version '" + std::string(version) + "' is " +
      (digits ? "out of range (at most " +
                    std::to_string(std::numeric_limits<int64_t>::max()) + ")"
              : "not a decimal number"));
}

StatusOr<inference::ModelConfig> ParseConfigOverride(std::string_view model,
                                                     std::string_view json) {
  inference::ModelConfig parsed;
  auto s =
      google::protobuf::util::JsonStringToMessage(std::string(json), &parsed);
  if (!s.ok()) {
    return InvalidArgument("load '" + std::string(model) +
                           "': the 'config' parameter is not a ModelConfig "
                           "in JSON: " +
                           s.ToString());
  }
  return parsed;
}

}  // namespace adlik::kserve
