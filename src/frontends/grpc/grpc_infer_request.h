// The KServe v2 gRPC inference messages to and from the core's types.
//
// FromProto: a ModelInferRequest into the core's InferRequest: the
// parameters the core understands (priority, timeout, classification),
// datatypes, shapes, and the tensor contents. Tensors sent as
// raw_input_contents, and typed contents of the protocol's native widths,
// are read in place (the request must outlive the InferRequest); narrower
// types are converted. Nothing here trusts a size the message claims: shapes
// and byte counts are checked against each other later, by the validator.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_GRPC_GRPC_INFER_REQUEST_H_
#define ADLIK_FRONTENDS_GRPC_GRPC_INFER_REQUEST_H_

#include <memory>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "frontends/grpc/grpc_service.pb.h"
#include "frontends/kserve/kserve_protocol.h"

namespace adlik::grpc_frontend {

// `shm` receives where the tensors in shared memory are (an input's data is
// then unset; raw_input_contents holds the other inputs', in order).
StatusOr<std::unique_ptr<InferRequest>> FromProto(
    const inference::ModelInferRequest& m, kserve::SharedMemoryRefs* shm);

// The core's response into `m`; outputs go as raw_output_contents (copied),
// except those in shared memory (`shm`, per output), which carry their
// shared_memory_* parameters and an empty raw_output_contents entry.
void ToProto(
    const InferResponse& r, inference::ModelInferResponse* m,
    const std::vector<std::optional<kserve::SharedMemoryRef>>& shm = {});

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_GRPC_INFER_REQUEST_H_
