// TensorFlow Serving's API (tensorflow.serving.PredictionService and
// ModelService) without a transport: its messages against the server core's
// requests and answers. The gRPC service and the REST routes both use it.
//
// A model has one signature, "serving_default" (method
// "tensorflow/serving/predict"), whose inputs and outputs are the model's;
// a ModelSpec naming another signature is refused. Versions are numbers;
// version labels are refused NOT_FOUND (model_spec.h).
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_TFSERVING_TFS_PROTOCOL_H_
#define ADLIK_FRONTENDS_TFSERVING_TFS_PROTOCOL_H_

#include <memory>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "base/model_state.h"
#include "server/core_types.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/get_model_status.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"

namespace adlik::tfserving {

inline constexpr char kDefaultSignature[] = "serving_default";
inline constexpr char kPredictMethod[] = "tensorflow/serving/predict";

// OK for "" and "serving_default"; INVALID_ARGUMENT naming any other.
Status CheckSignature(const std::string& model, const std::string& signature);

// The core's request for `m` (model, version, inputs, output_filter). The
// inputs' tensor_content is read in place: `m` must outlive the request.
StatusOr<std::unique_ptr<InferRequest>> FromPredictRequest(
    const tensorflow::serving::PredictRequest& m);

// The core's answer into `m`: model_spec (name, version, signature) and the
// outputs.
Status ToPredictResponse(const InferResponse& r,
                         tensorflow::serving::PredictResponse* m);

// The "signature_def" metadata of the model `metadata` describes, for the
// newest of its versions.
void RenderModelMetadata(const ModelMetadata& metadata,
                         tensorflow::serving::GetModelMetadataResponse* m);

// The states of `model`'s versions (all, or `version` alone) from the core's
// index; NOT_FOUND when the index has none of them.
StatusOr<tensorflow::serving::GetModelStatusResponse> ModelStatus(
    const std::string& model, const std::string& version,
    const std::vector<ModelIndexEntry>& index);

}  // namespace adlik::tfserving

#endif  // ADLIK_FRONTENDS_TFSERVING_TFS_PROTOCOL_H_
