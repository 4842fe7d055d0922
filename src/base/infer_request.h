// The server core's own request and response types. Front ends translate the
// wire (KServe JSON, binary extension, gRPC protobuf) into these and back; the
// core, the scheduler and the runtimes never see a wire type.
//
// Ownership: an InferInput's data points into `InferInput::owned` (data a
// front end had to convert), into `InferRequest::keepalive` (the HTTP body,
// read in place), or into a buffer the front end keeps alive itself until
// the request's callback has run (the gRPC request message, which gRPC owns
// until the call is finished; `keepalive` is then empty).
//
// Thread-safety: plain values, handed from thread to thread with the request;
// only `cancelled` may be touched by two threads at once.
#ifndef ADLIK_BASE_INFER_REQUEST_H_
#define ADLIK_BASE_INFER_REQUEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adlik/data_type.h"
#include "adlik/status.h"
#include "adlik/tensor.h"

namespace adlik {

struct InferInput {
  std::string name;
  DataType type = DataType::kInvalid;
  std::vector<int64_t> shape;
  const char* data = nullptr;  // into `owned` or the request's keepalive
  size_t byte_size = 0;
  std::string owned;  // set when the front end converted the data

  TensorView view() const { return {name, type, shape, data, byte_size}; }
  // Points data/byte_size at `owned`.
  void UseOwned() {
    data = owned.data();
    byte_size = owned.size();
  }
};

struct RequestedOutput {
  std::string name;
  // > 0: return the top `classification` entries of each batch row as BYTES
  // "score:index[:label]" (the KServe/Triton classification extension).
  uint32_t classification = 0;
  // Where the output's bytes should go (a client's shared memory), or
  // nullptr: the runtime writes them there when it allocates its outputs
  // through the server, the output fits, and the request is batched alone.
  // The front end keeps the buffer valid until it has written the response.
  char* buffer = nullptr;
  size_t buffer_size = 0;
};

// Monotonic nanoseconds (Clock::Real) of a request's steps through the
// scheduler, Triton's trace timestamps; 0: not reached.
struct ComputeTimestamps {
  uint64_t queue_start_ns = 0;
  uint64_t compute_start_ns = 0;
  uint64_t compute_input_end_ns = 0;
  uint64_t compute_output_start_ns = 0;
  uint64_t compute_end_ns = 0;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<Tensor> outputs;  // in the order requested (all: model order)
  // Set by the server core on a successful response. The front end calls it
  // once the response is encoded, just before handing it to the transport,
  // and before its InferCallback returns: it ends the request's "success"
  // duration in the statistics.
  std::function<void()> encoded;
  // Set by the scheduler on a response it computed.
  ComputeTimestamps timestamps;
};

using InferCallback = std::function<void(StatusOr<InferResponse>)>;

// The answers to one request of a decoupled model (config:
// model_transaction_policy { decoupled: true }): 0..n responses (outputs, or
// an error), then the final flag, with the last response or alone
// (`response` empty). Called from any thread, one call at a time, never after
// the final one.
using ResponseCallback = std::function<void(
    std::optional<StatusOr<InferResponse>> response, bool final)>;

struct InferRequest {
  std::string model_name;
  std::string model_version;  // empty: the version policy's newest
  std::string id;
  std::vector<InferInput> inputs;
  std::vector<RequestedOutput> outputs;  // empty: every output, unclassified
  int64_t priority = 0;                  // 0: the model's default level
  uint64_t timeout_us = 0;               // 0: the model's default
  // Monotonic nanoseconds (Clock::Real) when the front end began parsing the
  // request's bytes; 0: the core takes the time the request reaches it.
  uint64_t received_ns = 0;
  std::shared_ptr<const void> keepalive;
  // The client's W3C `traceparent` header (HTTP) or metadata (gRPC); empty:
  // none. A traced request's span becomes its child.
  std::string traceparent;

  // Set when the client has gone; a queued request is then dropped.
  std::shared_ptr<std::atomic<bool>> cancelled;

  // Filled in by the server core.
  int64_t batch_size = 1;  // leading dimension; 1 when the model has none
};

}  // namespace adlik

#endif  // ADLIK_BASE_INFER_REQUEST_H_
