// A KServe v2 gRPC client (inference.GRPCInferenceService). Inputs travel in
// `raw_input_contents` and outputs are read from `raw_output_contents` (or
// from typed contents, for servers that answer that way).
//
// Each client has its own channel, and by default its own TCP connection
// (not shared with other clients in the process), so N clients on N threads
// behave as N independent callers.
//
// Thread-safety: thread-safe; calls may run concurrently from any thread.
// Ownership: Create returns the only owner.
#ifndef ADLIK_CLIENT_GRPC_CLIENT_H_
#define ADLIK_CLIENT_GRPC_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "adlik/client/inference_client.h"

namespace adlik::client {

struct GrpcClientOptions {
  // host:port of the server's gRPC endpoint ("127.0.0.1:8500").
  std::string url = "127.0.0.1:8500";
  // Deadline of one call; 0: none.
  int timeout_ms = 0;
  // Largest message sent or received, in bytes (gRPC's default receive limit
  // is 4 MiB, too small for large batches).
  int max_message_bytes = INT32_MAX;
  // false: share the process-wide connection pool with other channels to the
  // same address.
  bool own_connection = true;
};

class GrpcClient : public InferenceClient {
 public:
  // Creates the channel; connects lazily on the first call.
  static StatusOr<std::unique_ptr<GrpcClient>> Create(
      GrpcClientOptions options);
  ~GrpcClient() override;
  GrpcClient(const GrpcClient&) = delete;
  GrpcClient& operator=(const GrpcClient&) = delete;

  StatusOr<bool> IsServerLive() override;
  StatusOr<bool> IsServerReady() override;
  StatusOr<bool> IsModelReady(const std::string& model,
                              const std::string& version = "") override;
  StatusOr<ModelMetadata> GetModelMetadata(
      const std::string& model, const std::string& version = "") override;
  StatusOr<inference::ModelConfig> GetModelConfig(
      const std::string& model, const std::string& version = "") override;
  Status Infer(const std::string& model, std::span<const InferInput> inputs,
               const InferOptions& options, InferResult* result) override;

  class Stub;

 private:
  GrpcClient(GrpcClientOptions options, std::unique_ptr<Stub> stub);

  const GrpcClientOptions options_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace adlik::client

#endif  // ADLIK_CLIENT_GRPC_CLIENT_H_
