// The original Adlik's serving API (package adlik.serving: PredictService,
// ModelOperateService, ServerStatusService) without a transport: its
// messages against the server core's requests and answers. The gRPC
// services and the REST routes (/v1/models/...:predict and /metadata, whose
// bodies are these messages in proto3 JSON) both use it.
//
// predict: inputs are tensorflow.TensorProto (tensor_content, or the typed
// field of their dtype); a TensorProto without tensor_shape takes the
// model's shape, with `batch_size` as its first dimension when the model
// batches. `batch_size` must be >= 1 and, when the model batches, the first
// dimension of every input. `output_filter` names the outputs to return (all
// when empty); one with `cls { count: K }` comes back as `batch_classes`, the
// K highest entries of each sample with their index and label (the output's
// label_filename), highest first, instead of the tensor.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_ADLIK_ADLIK_PROTOCOL_H_
#define ADLIK_FRONTENDS_ADLIK_ADLIK_PROTOCOL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adlik/status.h"
#include "adlik_serving/apis/get_model_meta.pb.h"
#include "adlik_serving/apis/model_operate.pb.h"
#include "adlik_serving/apis/predict.pb.h"
#include "base/infer_request.h"
#include "base/model_state.h"
#include "config/model_config.pb.h"
#include "server/core_types.h"

namespace adlik::adlik_api {

namespace as = ::adlik::serving;

// The core's request for `m`, the model `metadata` describes. The inputs'
// tensor_content is read in place: `m` must outlive the request.
StatusOr<std::unique_ptr<InferRequest>> FromPredictRequest(
    const as::PredictRequest& m, const ModelMetadata& metadata);

// The core's answer to `request` into `m`.
Status ToPredictResponse(const InferResponse& r,
                         const as::PredictRequest& request,
                         as::PredictResponse* m);

// The model's config (the served version's) and the states of its versions
// from the core's index.
void RenderModelMeta(const inference::ModelConfig& config,
                     const std::vector<ModelIndexEntry>& index,
                     as::GetModelMetaResponse* m);

// queryModel's answer: every model of `index` (only `model` unless empty)
// with its versions and their states.
void RenderModels(const std::vector<ModelIndexEntry>& index,
                  const std::string& model, as::ModelOperateResponse* m);

// The answer to TaskService.create and REST :ml_predict. The original's tasks
// (k-means training and grid clustering of its ML runtimes) read and write
// CSV files named in the request on the server's disk; this server reads no
// file a request names, so it runs none of them and says where tree models
// are served instead.
Status RefuseTask(std::string_view call);

}  // namespace adlik::adlik_api

#endif  // ADLIK_FRONTENDS_ADLIK_ADLIK_PROTOCOL_H_
