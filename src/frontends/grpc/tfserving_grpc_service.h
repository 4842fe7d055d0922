// TensorFlow Serving's gRPC services over the server core, for
// GrpcServerOptions::services:
// - tensorflow.serving.PredictionService: Predict (tfserving/tfs_protocol.h
//   says how the messages map) and GetModelMetadata (metadata_field
//   "signature_def"); Classify, Regress and MultiInference are refused
//   UNIMPLEMENTED, naming the RPC (the models here have no tf.Example
//   signatures; use Predict).
// - tensorflow.serving.ModelService: GetModelStatus (the states of a model's
//   versions); HandleReloadConfigRequest is not offered (UNIMPLEMENTED).
// Token groups as for KServe: Predict (and the refused RPCs): infer;
// GetModelMetadata, GetModelStatus: metadata.
//
// Thread-safety: called from gRPC's threads concurrently.
// Lifetime: `core` and `auth` must outlive the services.
#ifndef ADLIK_FRONTENDS_GRPC_TFSERVING_GRPC_SERVICE_H_
#define ADLIK_FRONTENDS_GRPC_TFSERVING_GRPC_SERVICE_H_

#include <grpcpp/impl/service_type.h>

#include <memory>
#include <vector>

#include "frontends/auth/token_auth.h"
#include "server/server_core.h"

namespace adlik::grpc_frontend {

// The two services; register each on the server.
std::vector<std::unique_ptr<grpc::Service>> MakeTfServingServices(
    ServerCore* core, const auth::TokenAuth* auth);

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_TFSERVING_GRPC_SERVICE_H_
