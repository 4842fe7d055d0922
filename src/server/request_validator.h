// Checks an inference request against the model's completed config before it
// is queued, so that a request that would fail never reaches a runtime:
// every input present once (an `optional` one at most once) and known, data
// types, shapes against dims (with the batch dimension when max_batch_size >
// 0), the batch size against max_batch_size and across inputs, the byte size
// against the shape (BYTES: whole elements), requested outputs known. Each
// error names the tensor and what is wrong with it.
//
// On success fills `request->batch_size` and, when the request names no
// outputs, `request->outputs` with every output of the config.
//
// Thread-safety: pure function.
#ifndef ADLIK_SERVER_REQUEST_VALIDATOR_H_
#define ADLIK_SERVER_REQUEST_VALIDATOR_H_

#include "adlik/status.h"
#include "base/infer_request.h"
#include "config/model_config.pb.h"

namespace adlik {

Status ValidateRequest(const inference::ModelConfig& config,
                       InferRequest* request);

}  // namespace adlik

#endif  // ADLIK_SERVER_REQUEST_VALIDATOR_H_
