// The ModelStreamInfer RPC: a bidirectional stream of ModelInferRequest in,
// ModelStreamInferResponse out, over the core's InferStream (Triton's
// semantics).
//
//   - Requests are read one after another and handed to the core at once, so
//     several are in flight on one stream; answers are written as they come,
//     one write at a time, each carrying its request's id.
//   - Every response has the parameter `triton_final_response` (bool): true
//     on a request's last answer. A decoupled model's request gets 0..n
//     responses; when its runtime ends it with the final flag alone, that
//     "empty final response" (id, model name and version, no outputs) is
//     written only if the request set `triton_enable_empty_final_response`.
//   - A request that fails gets `error_message` (and its id in
//     infer_response); the stream stays open.
//   - The stream ends OK once the client has half-closed and every request
//     has its final answer. A cancelled call (the client went, or a write
//     failed) ends at once: queued requests are dropped, a decoupled runtime
//     is told (response_send returns CANCELLED), answers still to come are
//     discarded.
//
// No gRPC thread waits on a model: the core answers from its scheduler's
// threads (or inline only while its executions are measured short).
//
// Thread-safety: gRPC calls the reactor; the core's answers may come from any
// thread. Ownership: the reactor deletes itself when the call is done; what
// the core's callbacks hold outlives it.
#ifndef ADLIK_FRONTENDS_GRPC_GRPC_STREAM_H_
#define ADLIK_FRONTENDS_GRPC_GRPC_STREAM_H_

#include <grpcpp/grpcpp.h>

#include "frontends/grpc/grpc_service.pb.h"
#include "frontends/shared_memory/shared_memory_registry.h"
#include "server/server_core.h"

namespace adlik::grpc_frontend {

using StreamReactor =
    grpc::ServerBidiReactor<inference::ModelInferRequest,
                            inference::ModelStreamInferResponse>;

// Serves one ModelStreamInfer call on `core`, with the shared-memory regions
// of `shm` (nullptr: none); both must outlive it.
StreamReactor* StartInferStream(ServerCore* core,
                                const shm::SharedMemoryRegistry* shm);

// Ends a ModelStreamInfer call at once with `status` (refused before any
// request is read).
StreamReactor* RefuseInferStream(const grpc::Status& status);

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_GRPC_STREAM_H_
