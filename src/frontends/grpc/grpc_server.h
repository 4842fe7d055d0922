// The KServe v2 gRPC front end (inference.GRPCInferenceService, with the
// model configuration, statistics and repository index extensions) and the
// standard grpc.health.v1.Health service, over the server core.
//
// Built on gRPC's callback API: ModelInfer hands the request to the core and
// returns; the RPC finishes from the scheduler's thread when the inference
// completes, so no gRPC thread waits on a model. Input tensors sent as
// raw_input_contents (and typed contents of the protocol's native widths) are
// read in place; outputs always go back as raw_output_contents. A call the
// client cancels (or whose deadline passes) while queued is dropped.
// Tensors in system shared memory (shared_memory_* parameters) are read and
// written in the client's region (shared_memory_tensors.h); CUDA shared memory
// is not supported (UNIMPLEMENTED; its status lists no region).
// ModelStreamInfer is the bidirectional stream of grpc_stream.h (the only RPC
// that serves decoupled models; ModelInfer refuses them UNIMPLEMENTED). With
// `tls` set it serves over TLS (mutual TLS when tls->client_verify).
//
// With `auth` set, every RPC but ServerLive, ServerReady and the health
// service's Check needs `authorization: Bearer TOKEN` metadata of a token
// whose groups cover it (ModelInfer, ModelStreamInfer: infer; metadata,
// readiness, config and statistics: metadata; the repository and
// shared-memory RPCs: admin);
// otherwise it gets
// UNAUTHENTICATED or PERMISSION_DENIED. No exception leaves a handler: one
// answers the call RESOURCE_EXHAUSTED (out of memory) or INTERNAL. A request
// that is not a valid protobuf message gets INVALID_ARGUMENT.
//
// Thread-safety: Start/Shutdown from one thread.
// Lifetime: `core` and `options.auth` must outlive the server.
#ifndef ADLIK_FRONTENDS_GRPC_GRPC_SERVER_H_
#define ADLIK_FRONTENDS_GRPC_GRPC_SERVER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "frontends/auth/token_auth.h"
#include "frontends/shared_memory/shared_memory_registry.h"
#include "frontends/tls_options.h"
#include "server/server_core.h"

namespace grpc {
class Service;
}

namespace adlik::grpc_frontend {

struct GrpcServerOptions {
  std::string address = "0.0.0.0";
  int port = 8500;  // 0 is not allowed here: the caller turns gRPC off instead
  int max_message_bytes = 64 << 20;
  // Bearer-token authentication; nullptr: none. Not owned.
  const auth::TokenAuth* auth = nullptr;
  std::optional<TlsOptions> tls;  // TLS when set
  // The system shared-memory regions (shared with the HTTP front end);
  // nullptr: the extension is off. Not owned.
  shm::SharedMemoryRegistry* shm = nullptr;
  // More services on the same port (the Adlik and TensorFlow Serving APIs),
  // answered with the same TLS, limits and shutdown. Not owned; they must
  // outlive the server.
  std::vector<grpc::Service*> services;
};

class GrpcServer {
 public:
  static StatusOr<std::unique_ptr<GrpcServer>> Start(GrpcServerOptions options,
                                                     ServerCore* core);
  ~GrpcServer();

  int port() const { return port_; }
  // Stops taking calls (new ones fail UNAVAILABLE) and waits for the ones in
  // flight until `deadline`, then cancels what is left. Idempotent.
  void Shutdown(std::chrono::system_clock::time_point deadline =
                    std::chrono::system_clock::now() +
                    std::chrono::seconds(30));

  class Impl;

 private:
  GrpcServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_GRPC_SERVER_H_
