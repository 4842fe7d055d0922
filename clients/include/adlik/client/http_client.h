// A KServe v2 HTTP/REST client (Boost.Beast): one kept-alive connection with
// TCP_NODELAY, inputs sent and outputs asked for in the binary tensor
// extension (JSON header, then the raw tensor bytes; no JSON numbers).
//
// The connection is opened on the first call and reopened once, on the next
// call, after the server closed it or a call failed in transport.
//
// Thread-safety: NOT thread-safe: one connection carries one request at a
// time. Use one HttpClient per thread (they are cheap).
// Ownership: Create returns the only owner.
#ifndef ADLIK_CLIENT_HTTP_CLIENT_H_
#define ADLIK_CLIENT_HTTP_CLIENT_H_

#include <memory>
#include <string>

#include "adlik/client/inference_client.h"

namespace adlik::client {

struct HttpClientOptions {
  // host:port of the server's HTTP endpoint ("127.0.0.1:8501"); an
  // "http://" prefix is accepted.
  std::string url = "127.0.0.1:8501";
  // Limit for one call (connect, write, read); 0: none.
  int timeout_ms = 0;
  // Largest response body accepted.
  size_t max_response_bytes = size_t{2} << 30;
};

class HttpClient : public InferenceClient {
 public:
  // Checks the URL; does not connect.
  static StatusOr<std::unique_ptr<HttpClient>> Create(
      HttpClientOptions options);
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

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

  class Connection;

 private:
  HttpClient(HttpClientOptions options, std::string host, std::string port);

  const HttpClientOptions options_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace adlik::client

#endif  // ADLIK_CLIENT_HTTP_CLIENT_H_
