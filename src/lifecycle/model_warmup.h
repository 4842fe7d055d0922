// The config's `model_warmup`: each sample run on every instance of a model
// version before it is READY, as Triton does. A sample gives each input's
// data type, dims (without the batch dimension) and data: zeros, random
// values (BYTES: empty strings, as in Triton), or a file in the model's
// `warmup/` folder holding one row in row-major order (BYTES: 4-byte
// little-endian length, then the bytes, per element); the row is repeated
// `batch_size` times when the model batches. A sample runs `count` times
// (0: once). Any failure, of the sample itself or of its execution, is the
// load error of the version, naming the sample.
//
// Thread-safety: RunWarmup uses the instances it is given alone.
#ifndef ADLIK_LIFECYCLE_MODEL_WARMUP_H_
#define ADLIK_LIFECYCLE_MODEL_WARMUP_H_

#include <memory>
#include <span>
#include <string>

#include "adlik/status.h"
#include "config/model_config.pb.h"
#include "runtime_host/engine.h"

namespace adlik {

// Runs `config.model_warmup` on each of `instances` in turn. `model_dir` is
// the model's folder (files are read from its warmup/ folder and may not
// leave it); `source` names the config in errors.
Status RunWarmup(const inference::ModelConfig& config,
                 const std::string& model_dir,
                 std::span<const std::unique_ptr<host::Instance>> instances,
                 const std::string& source);

}  // namespace adlik

#endif  // ADLIK_LIFECYCLE_MODEL_WARMUP_H_
