// Triton's raw binary request (binary tensor data extension): a request whose
// Inference-Header-Content-Length is 0 has no JSON header; its whole body is
// the bytes of the model's one input, whose datatype and shape come from the
// model's config:
// - the model must have exactly one input;
// - a batching model (max_batch_size > 0) gets a batch of 1;
// - a numeric input may have at most one variable dimension (-1), deduced
//   from the body's size (which must then be a whole number of the other
//   dimensions' elements);
// - a BYTES input must have the shape [1] (each dimension 1 or -1): the body
//   is its one element.
// The response carries every output, as binary data.
//
// Thread-safety: pure function.
#ifndef ADLIK_FRONTENDS_HTTP_RAW_BINARY_REQUEST_H_
#define ADLIK_FRONTENDS_HTTP_RAW_BINARY_REQUEST_H_

#include <memory>
#include <string>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "config/model_config.pb.h"

namespace adlik::http {

// The request for `config`'s model, reading `body` in place (kept alive by
// the request). INVALID_ARGUMENT naming the model or input when the model
// does not qualify or the shape cannot be deduced from the body's size.
StatusOr<std::unique_ptr<InferRequest>> ParseRawBinaryRequest(
    const inference::ModelConfig& config, std::string body);

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_RAW_BINARY_REQUEST_H_
