// libFuzzer target: the gRPC inference path up to the core. Bytes are
// parsed as a ModelInferRequest (as gRPC does before the handler runs),
// turned into the core's InferRequest (with the shared-memory parameters
// collected, as the handler does), and validated against a batched
// INT32 model and a variable-shape BYTES model.
#include <cstddef>
#include <cstdint>

#include "frontends/grpc/grpc_infer_request.h"
#include "fuzz_models.h"
#include "server/request_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  inference::ModelInferRequest message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  adlik::kserve::SharedMemoryRefs shm;
  auto request = adlik::grpc_frontend::FromProto(message, &shm);
  if (!request.ok()) return 0;
  for (const auto& config : adlik::fuzz::Models()) {
    (void)adlik::ValidateRequest(config, request->get());
  }
  return 0;
}
