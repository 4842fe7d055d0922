// The KServe v2 HTTP message forms the HttpClient writes and reads, as pure
// functions (no sockets), so that they are tested on their own.
//
//   request:  JSON header {"id", "parameters", "inputs": [{name, shape,
//             datatype, parameters: {binary_data_size}}], "outputs": [{name,
//             parameters: {binary_data: true}}]}, then every input's bytes in
//             input order; `Inference-Header-Content-Length` = header length.
//   response: JSON header, then the binary outputs in the header's output
//             order (Inference-Header-Content-Length given), or JSON alone
//             with `data` arrays.
//
// Thread-safety: pure functions.
#ifndef ADLIK_CLIENTS_SRC_KSERVE_HTTP_CODEC_H_
#define ADLIK_CLIENTS_SRC_KSERVE_HTTP_CODEC_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "adlik/client/infer_types.h"
#include "adlik/status.h"
#include "config/model_config.pb.h"

namespace adlik::client::http_codec {

// The JSON header of a binary-extension inference request. Fails on an input
// whose byte size does not match its shape and type (BYTES: not checked
// beyond being whole elements).
StatusOr<std::string> EncodeInferHeader(std::span<const InferInput> inputs,
                                        const InferOptions& options);

// Decodes an inference response body. `header_length`: the value of
// Inference-Header-Content-Length, or nullopt when the body is all JSON.
// The result's outputs point into `body` (kept in result->storage).
Status DecodeInferResponse(std::shared_ptr<const std::string> body,
                           std::optional<size_t> header_length,
                           InferResult* result);

// The Status of a non-2xx answer: the code from the HTTP status (400
// INVALID_ARGUMENT, 404 NOT_FOUND, 503 UNAVAILABLE, 500 INTERNAL, ...), the
// message from the body's {"error": "..."} (or the body itself).
Status ErrorFromResponse(int http_status, std::string_view body);

StatusOr<ModelMetadata> DecodeModelMetadata(std::string_view json);
StatusOr<inference::ModelConfig> DecodeModelConfig(std::string_view json);

// The path of a model route: /v2/models/NAME[/versions/V][/suffix].
std::string ModelPath(std::string_view model, std::string_view version,
                      std::string_view suffix);

}  // namespace adlik::client::http_codec

#endif  // ADLIK_CLIENTS_SRC_KSERVE_HTTP_CODEC_H_
