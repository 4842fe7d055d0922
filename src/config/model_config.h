// The model configuration: reading config.pbtxt, finding which runtime serves
// it, completing it from the engine's own signature, and checking it.
//
// Every error names the file and the field: "simple/config.pbtxt: input
// 'INPUT0': data_type TYPE_FP32 does not match the model's INT32".
//
// Thread-safety: pure functions.
#ifndef ADLIK_CONFIG_MODEL_CONFIG_H_
#define ADLIK_CONFIG_MODEL_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "adlik/tensor.h"
#include "config/model_config.pb.h"

namespace adlik::config {

// Parses protobuf text format. `source` names the text in error messages.
StatusOr<inference::ModelConfig> ParseModelConfig(std::string_view text,
                                                  std::string_view source);

// Reads and parses `path`. A missing file is NOT_FOUND.
StatusOr<inference::ModelConfig> ReadModelConfig(const std::string& path);

// Checks `config` on its own: names, batch size, dims and reshapes, instance
// groups and rate limiters, batching, warm-up samples, and the Triton fields
// this server does not implement (UNIMPLEMENTED, "FIELD: not supported yet
// (...)": sequence_batching, ensemble_scheduling, response_cache,
// batch_input/batch_output, allow_ragged_batch, is_shape_tensor, ...; see
// docs/model-config.md).
Status CheckConfig(const inference::ModelConfig& config,
                   std::string_view source);

// Checks `config` on its own (CheckConfig), and then against what the engine
// declares: fills in inputs and outputs the config leaves out, and refuses a
// config that disagrees with the engine (unknown tensor, wrong data type,
// incompatible dims, a batch dimension the engine does not have). On error
// `config` may be partly completed.
Status CompleteAndValidate(const Signature& signature,
                           inference::ModelConfig* config,
                           std::string_view source);

}  // namespace adlik::config

#endif  // ADLIK_CONFIG_MODEL_CONFIG_H_
