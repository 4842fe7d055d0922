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

namespace adlik::grpc_frontend {

StatusOr<std::unique_ptr<InferRequest>> FromProto(
    const inference::ModelInferRequest& m);

// The core's response into `m`; outputs go as raw_output_contents (copied).
void ToProto(const InferResponse& r, inference::ModelInferResponse* m);

}  // namespace adlik::grpc_frontend

#endif  // ADLIK_FRONTENDS_GRPC_GRPC_INFER_REQUEST_H_
