// TensorFlow Serving's REST predict body
// (POST /v1/models/{m}[/versions/{v}]:predict) against the server core's
// request and answer.
//
// Request: a JSON object with "instances" (row format: a list with one entry
// per batch row, each the value of the model's only input or an object of
// named inputs) or "inputs" (columnar format: the value of the only input,
// or an object of named inputs, each the whole tensor), and optionally
// "signature_name". A value is a number, a bool, a string or {"b64": BASE64}
// (bytes), or nested lists of them; its nesting gives the shape, which must
// be rectangular. Element types are the model's.
// Response: {"predictions": [...]} (row format: one entry per row, an object
// of named outputs when there are several) or {"outputs": ...} (columnar). A
// BYTES output whose name ends in "_bytes" is written as {"b64": ...}, and
// so is an element that is not UTF-8 text.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_TFSERVING_TFS_JSON_H_
#define ADLIK_FRONTENDS_TFSERVING_TFS_JSON_H_

#include <rapidjson/document.h>

#include <memory>
#include <string>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "server/core_types.h"

namespace adlik::tfserving {

struct PredictJson {
  std::unique_ptr<InferRequest> request;  // model and version not set
  bool row_format = false;
};

// INVALID_ARGUMENT, saying what is wrong and where, for a body that is not
// of the form above or whose values do not fit the model's inputs.
StatusOr<PredictJson> ParsePredictJson(const rapidjson::Document& body,
                                       const ModelMetadata& metadata);

// INVALID_ARGUMENT when the row format is asked for and the outputs do not
// share their first dimension.
StatusOr<std::string> RenderPredictJson(const InferResponse& response,
                                        bool row_format);

}  // namespace adlik::tfserving

#endif  // ADLIK_FRONTENDS_TFSERVING_TFS_JSON_H_
