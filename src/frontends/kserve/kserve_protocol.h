// The KServe v2 protocol's rules that do not depend on the transport (beside
// it: the JSON codec, kserve_json.h, tensor_json.h, json_parse.h; the
// rendering of the core's answers, kserve_render.h, proto_json.h): the
// extensions this server speaks, the error mapping, request and output
// parameters, datatype names, the repository load's config override. The
// HTTP and gRPC front ends both decode into the core's InferRequest through
// these functions, so the two follow identical rules and give identical
// messages; each front end only routes and reads or writes its wire format.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_KSERVE_PROTOCOL_H_
#define ADLIK_FRONTENDS_KSERVE_KSERVE_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "base/infer_request.h"
#include "config/model_config.pb.h"

namespace adlik::kserve {

// The protocol extensions the front ends implement (server metadata).
const std::vector<std::string>& Extensions();

// The HTTP status for a core Status code (the gRPC front end maps to gRPC
// codes one to one).
int HttpStatusFor(StatusCode code);

// A parameter value as either wire carries it: JSON's bool, integer, number
// or string; gRPC's InferParameter choices. A non-negative integer may come
// as int64 or uint64 (tritonclient sends uint64). std::monostate: a value of
// no parameter type (JSON null, object or array).
using ParameterValue = std::variant<std::monostate, bool, int64_t, uint64_t,
                                    double, std::string_view>;

// Applies one request-level parameter ("priority", "timeout") to `request`;
// other keys are ignored (binary_data_output belongs to the HTTP codec).
Status ApplyRequestParameter(std::string_view key, const ParameterValue& value,
                             InferRequest* request);

// Applies one parameter of a requested output ("classification").
Status ApplyOutputParameter(std::string_view key, const ParameterValue& value,
                            RequestedOutput* output);

// Where a tensor's bytes are, in a registered system shared-memory region
// (the parameters shared_memory_region, shared_memory_offset and
// shared_memory_byte_size of an input or a requested output).
struct SharedMemoryRef {
  std::string region;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

// One per input and one per requested output, in the request's order: where
// that tensor is in shared memory, or nullopt when it is not (when no tensor
// is, both may be empty).
struct SharedMemoryRefs {
  std::vector<std::optional<SharedMemoryRef>> inputs, outputs;
  bool any() const;
};

// The partial shared-memory parameters of one tensor, collected one key at a
// time by ApplySharedMemoryParameter and finished by FinishSharedMemoryRef.
struct SharedMemoryParameters {
  std::optional<std::string> region;
  std::optional<uint64_t> offset, byte_size;
};

// Takes `key` if it is a shared_memory_* parameter (returns true in
// `*taken`); `what` names the tensor ("input 'x'") in errors.
Status ApplySharedMemoryParameter(std::string_view what, std::string_view key,
                                  const ParameterValue& value,
                                  SharedMemoryParameters* params, bool* taken);

// The tensor's reference, nullopt when it has no shared_memory_region; an
// offset or byte size without a region, or a region without a byte size, is
// an error.
StatusOr<std::optional<SharedMemoryRef>> FinishSharedMemoryRef(
    std::string_view what, const SharedMemoryParameters& params);

// The answers of the shared-memory extensions when they are off: this server
// has no CUDA (UNAVAILABLE), or serves no system shared memory.
Status NoCudaSharedMemory();
Status NoSystemSharedMemory();

// The datatype of input `input` from its KServe name ("FP32"); the config
// file's names ("TYPE_FP32") and unknown names are refused.
StatusOr<DataType> ParseTensorDataType(std::string_view input,
                                       std::string_view name);

// Checks one shape entry of input `input`: an integer >= 0.
Status CheckDimension(std::string_view input, int64_t dim);

// Checks the model version a request names: empty (the version policy's
// choice) or a decimal number, digits only, that fits in int64. Anything else
// is a malformed request (INVALID_ARGUMENT naming the version), not an
// unknown version.
Status CheckModelVersion(std::string_view version);

// The repository load's "config" parameter: a ModelConfig in JSON.
StatusOr<inference::ModelConfig> ParseConfigOverride(std::string_view model,
                                                     std::string_view json);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_KSERVE_PROTOCOL_H_
