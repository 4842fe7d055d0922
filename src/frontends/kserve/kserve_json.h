// KServe v2 REST inference bodies: the JSON request (with the binary tensor
// extension) into the core's InferRequest, and an InferResponse back into
// JSON, with binary outputs where asked.
//
// Binary extension: when `header_length` is given (the
// Inference-Header-Content-Length header), the body is that many bytes of
// JSON followed by the binary blobs of the inputs that declare
// `binary_data_size`, in the order of the inputs.
//
// Thread-safety: pure functions.
#ifndef ADLIK_FRONTENDS_KSERVE_KSERVE_JSON_H_
#define ADLIK_FRONTENDS_KSERVE_KSERVE_JSON_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adlik/status.h"
#include "base/infer_request.h"
#include "frontends/kserve/kserve_protocol.h"

namespace adlik::kserve {

struct ParsedInferRequest {
  std::unique_ptr<InferRequest> request;
  // Per requested output (same order as request->outputs): send as binary.
  std::vector<bool> binary_outputs;
  // Request-level binary_data_output: applies to outputs not listed.
  bool binary_by_default = false;
  // The tensors in shared memory (an input's data is then unset: the front
  // end points it into the region).
  SharedMemoryRefs shm;
};

// Takes the body (binary inputs are then used in place, without a copy).
StatusOr<ParsedInferRequest> ParseInferRequest(
    std::string body, std::optional<size_t> header_length);

struct RenderedResponse {
  std::string body;
  // Set when any output is binary: the length of the JSON part.
  std::optional<size_t> header_length;
};

// `binary` says, per output of the response, whether it goes as binary;
// `shm`, per output, whether it went to shared memory: then it has its name,
// datatype and shape, and neither data nor parameters (as Triton answers;
// Triton's C++ client reads an output's parameters as binary_data_size).
RenderedResponse RenderInferResponse(
    const InferResponse& response, const std::vector<bool>& binary,
    const std::vector<std::optional<SharedMemoryRef>>& shm = {});

// {"error":"<message>"}
std::string ErrorJson(std::string_view message);

}  // namespace adlik::kserve

#endif  // ADLIK_FRONTENDS_KSERVE_KSERVE_JSON_H_
