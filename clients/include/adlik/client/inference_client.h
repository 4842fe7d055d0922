// A client of a KServe v2 inference server (adlik_serving, Triton, or any
// other server that speaks the protocol). Two implementations:
//
//   HttpClient  (http_client.h)  HTTP/1.1 REST with the binary tensor
//                                extension, one kept-alive connection;
//   GrpcClient  (grpc_client.h)  inference.GRPCInferenceService, raw
//                                (binary) input and output contents.
//
// Typical use:
//
//   ASSIGN_OR_RETURN(auto client, HttpClient::Create({.url =
//   "127.0.0.1:8501"})); std::vector<int32_t> a(16), b(16);
//   std::vector<InferInput> inputs = {
//       {"INPUT0", DataType::kInt32, {1, 16}, AsBytes(a)},
//       {"INPUT1", DataType::kInt32, {1, 16}, AsBytes(b)}};
//   InferResult result;
//   RETURN_IF_ERROR(client->Infer("simple", inputs, {}, &result));
//   const InferOutput* sum = result.Find("OUTPUT0");
//
// Errors: a transport failure is UNAVAILABLE (nothing answered: refused,
// reset, timed out); an error the server answered keeps the server's code
// (NOT_FOUND for an unknown model, INVALID_ARGUMENT for a bad request, ...)
// and its message.
//
// Thread-safety: see each implementation. Neither may be destroyed while a
// call is in progress.
#ifndef ADLIK_CLIENT_INFERENCE_CLIENT_H_
#define ADLIK_CLIENT_INFERENCE_CLIENT_H_

#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "adlik/client/infer_types.h"
#include "adlik/status.h"
#include "config/model_config.pb.h"

namespace adlik::client {

class InferenceClient {
 public:
  virtual ~InferenceClient() = default;

  // Health: true/false as the server answers; an error if it cannot be
  // reached.
  virtual StatusOr<bool> IsServerLive() = 0;
  virtual StatusOr<bool> IsServerReady() = 0;
  virtual StatusOr<bool> IsModelReady(const std::string& model,
                                      const std::string& version = "") = 0;

  virtual StatusOr<ModelMetadata> GetModelMetadata(
      const std::string& model, const std::string& version = "") = 0;
  // The model's configuration (Triton's model_configuration extension).
  virtual StatusOr<inference::ModelConfig> GetModelConfig(
      const std::string& model, const std::string& version = "") = 0;

  // Runs one inference. `inputs` are borrowed for the call. On OK `*result`
  // holds the outputs; on error it is left unspecified.
  virtual Status Infer(const std::string& model,
                       std::span<const InferInput> inputs,
                       const InferOptions& options, InferResult* result) = 0;
};

// The bytes of a contiguous array of trivially copyable values, for
// InferInput::data.
template <typename T>
requires std::is_trivially_copyable_v<T> std::string_view AsBytes(
    std::span<const T> values) {
  return {reinterpret_cast<const char*>(values.data()), values.size_bytes()};
}
template <typename Container>
std::string_view AsBytes(const Container& values) {
  return AsBytes(std::span<const typename Container::value_type>(values));
}

}  // namespace adlik::client

#endif  // ADLIK_CLIENT_INFERENCE_CLIENT_H_
