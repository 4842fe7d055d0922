// The original Adlik's gRPC services (package adlik.serving) over the server
// core, for GrpcServerOptions::services:
// - PredictService: predict (an inference; adlik/adlik_protocol.h says how
//   the messages map) and getModelMeta (the served version's config and the
//   states of the model's versions).
// - ModelOperateService: addModel and activateModel load (or reload) a model
//   of the repository, deleteModel unloads it (explicit model control, as
//   the KServe repository API); queryModel lists models and their versions'
//   states. addModelVersion and deleteModelVersion are refused UNIMPLEMENTED
//   (versions are the repository's folders), and so is a `path` to copy a
//   model from. A failed operation answers its gRPC error.
// - ServerStatusService: serverStatus, "running" while the server is ready.
// Token groups as for KServe: predict: infer; getModelMeta, queryModel,
// serverStatus: metadata; the model operations: admin.
//
// Thread-safety: called from gRPC's threads concurrently.
// Lifetime: `core` and `auth` must outlive the services.
#ifndef ADLIK_FRONTENDS_GRPC_ADLIK_GRPC_SERVICE_H_
#define ADLIK_FRONTENDS_GRPC_ADLIK_GRPC_SERVICE_H_

#include <grpcpp/impl/service_type.h>

#include <memory>
#include <vector>

#include "frontends/auth/token_auth.h"
#include "server/server_core.h"

namespace adlik::grpc_frontend {

// The three services; register each on the server.
std::vector<std::unique_ptr<grpc::Service>> MakeAdlikServices(
    ServerCore* core, const auth::TokenAuth* auth);

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_ADLIK_GRPC_SERVICE_H_
