#include "adlik/client/http_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>
#include <sstream>
#include <vector>

#include "kserve_http_codec.h"

namespace adlik::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Reply {
  int status = 0;
  std::string body;
  std::optional<size_t> header_length;  // Inference-Header-Content-Length
};

Status TransportError(const std::string& what, const beast::error_code& ec) {
  return Unavailable(what + ": " + ec.message());
}

}  // namespace

// One keep-alive connection: a blocking socket with TCP_NODELAY and, when
// asked, send/receive timeouts.
class HttpClient::Connection {
 public:
  Connection(std::string host, std::string port,
             const HttpClientOptions& options)
      : host_(std::move(host)), port_(std::move(port)), options_(options) {}

  // Sends one request (head + `body` buffers written in one gather write)
  // and reads the answer. Reconnects once if a reused connection turns out to
  // have been closed by the server.
  StatusOr<Reply> RoundTrip(http::verb verb, const std::string& target,
                            const std::vector<asio::const_buffer>& body,
                            size_t header_length) {
    const bool reused = socket_.is_open();
    auto reply = TryRoundTrip(verb, target, body, header_length);
    if (!reply.ok() && reused &&
        reply.status().code() == StatusCode::kUnavailable) {
      Close();
      reply = TryRoundTrip(verb, target, body, header_length);
    }
    if (!reply.ok()) Close();
    return reply;
  }

 private:
  Status Connect() {
    beast::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host_, port_, ec);
    if (ec) return TransportError("cannot resolve " + host_ + ":" + port_, ec);
    asio::connect(socket_, endpoints, ec);
    if (ec)
      return TransportError("cannot connect to " + host_ + ":" + port_, ec);
    socket_.set_option(tcp::no_delay(true), ec);
    if (options_.timeout_ms > 0) {
      timeval tv{options_.timeout_ms / 1000,
                 (options_.timeout_ms % 1000) * 1000};
      setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv,
                 sizeof(tv));
      setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv,
                 sizeof(tv));
    }
    buffer_.clear();
    return Status::Ok();
  }

  void Close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    buffer_.clear();
  }

  StatusOr<Reply> TryRoundTrip(http::verb verb, const std::string& target,
                               const std::vector<asio::const_buffer>& body,
                               size_t header_length) {
    if (!socket_.is_open()) RETURN_IF_ERROR(Connect());
    size_t body_size = 0;
    for (const auto& b : body) body_size += b.size();

    http::request<http::empty_body> head{verb, target, 11};
    head.set(http::field::host, host_);
    head.keep_alive(true);
    if (verb == http::verb::post) {
      head.set(http::field::content_length, std::to_string(body_size));
      if (header_length < body_size) {
        head.set(http::field::content_type, "application/octet-stream");
        head.set("Inference-Header-Content-Length",
                 std::to_string(header_length));
      } else {
        head.set(http::field::content_type, "application/json");
      }
    }
    // The head goes into a string so that head and body leave in one write.
    std::ostringstream head_stream;
    head_stream << head;
    const std::string head_bytes = std::move(head_stream).str();
    beast::error_code ec;
    std::vector<asio::const_buffer> gather;
    gather.reserve(body.size() + 1);
    gather.push_back(asio::buffer(head_bytes));
    gather.insert(gather.end(), body.begin(), body.end());
    asio::write(socket_, gather, ec);
    if (ec) return TransportError("cannot send to " + host_ + ":" + port_, ec);

    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_bytes);
    http::read(socket_, buffer_, parser, ec);
    if (ec) {
      if (ec == http::error::body_limit) {
        return ResourceExhausted("response from " + host_ + ":" + port_ +
                                 " is over max_response_bytes");
      }
      return TransportError("no answer from " + host_ + ":" + port_, ec);
    }
    auto response = parser.release();
    Reply reply;
    reply.status = static_cast<int>(response.result_int());
    auto it = response.find("Inference-Header-Content-Length");
    if (it != response.end()) {
      size_t n = 0;
      const auto v = it->value();
      auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (err != std::errc() || end != v.data() + v.size()) {
        return InvalidArgument("bad Inference-Header-Content-Length '" +
                               std::string(v) + "'");
      }
      reply.header_length = n;
    }
    if (!response.keep_alive()) Close();
    reply.body = std::move(response.body());
    return reply;
  }

  const std::string host_;
  const std::string port_;
  const HttpClientOptions& options_;
  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    HttpClientOptions options) {
  std::string url = options.url;
  if (url.starts_with("http://")) url = url.substr(7);
  if (url.starts_with("https://")) {
    return Unimplemented("https is not supported (" + options.url + ")");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  const size_t colon = url.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == url.size()) {
    return InvalidArgument("URL '" + options.url + "' is not host:port");
  }
  std::string host = url.substr(0, colon);
  std::string port = url.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::move(options), std::move(host), std::move(port)));
}

HttpClient::HttpClient(HttpClientOptions options, std::string host,
                       std::string port)
    : options_(std::move(options)),
      connection_(std::make_unique<Connection>(std::move(host), std::move(port),
                                               options_)) {}

HttpClient::~HttpClient() = default;

StatusOr<bool> HttpClient::IsServerLive() {
  ASSIGN_OR_RETURN(Reply r, connection_->RoundTrip(http::verb::get,
                                                   "/v2/health/live", {}, 0));
  return r.status == 200;
}

StatusOr<bool> HttpClient::IsServerReady() {
  ASSIGN_OR_RETURN(Reply r, connection_->RoundTrip(http::verb::get,
                                                   "/v2/health/ready", {}, 0));
  return r.status == 200;
}

StatusOr<bool> HttpClient::IsModelReady(const std::string& model,
                                        const std::string& version) {
  ASSIGN_OR_RETURN(Reply r,
                   connection_->RoundTrip(
                       http::verb::get,
                       http_codec::ModelPath(model, version, "ready"), {}, 0));
  return r.status == 200;
}

StatusOr<ModelMetadata> HttpClient::GetModelMetadata(
    const std::string& model, const std::string& version) {
  ASSIGN_OR_RETURN(
      Reply r,
      connection_->RoundTrip(http::verb::get,
                             http_codec::ModelPath(model, version, ""), {}, 0));
  if (r.status != 200) return http_codec::ErrorFromResponse(r.status, r.body);
  return http_codec::DecodeModelMetadata(r.body);
}

StatusOr<inference::ModelConfig> HttpClient::GetModelConfig(
    const std::string& model, const std::string& version) {
  ASSIGN_OR_RETURN(Reply r,
                   connection_->RoundTrip(
                       http::verb::get,
                       http_codec::ModelPath(model, version, "config"), {}, 0));
  if (r.status != 200) return http_codec::ErrorFromResponse(r.status, r.body);
  return http_codec::DecodeModelConfig(r.body);
}

Status HttpClient::Infer(const std::string& model,
                         std::span<const InferInput> inputs,
                         const InferOptions& options, InferResult* result) {
  ASSIGN_OR_RETURN(std::string header,
                   http_codec::EncodeInferHeader(inputs, options));
  std::vector<asio::const_buffer> body;
  body.reserve(inputs.size() + 1);
  body.push_back(asio::buffer(header));
  for (const InferInput& in : inputs) {
    if (!in.data.empty())
      body.push_back(asio::buffer(in.data.data(), in.data.size()));
  }
  ASSIGN_OR_RETURN(
      Reply r, connection_->RoundTrip(
                   http::verb::post,
                   http_codec::ModelPath(model, options.model_version, "infer"),
                   body, header.size()));
  if (r.status != 200) return http_codec::ErrorFromResponse(r.status, r.body);
  auto owned = std::make_shared<const std::string>(std::move(r.body));
  return http_codec::DecodeInferResponse(std::move(owned), r.header_length,
                                         result);
}

}  // namespace adlik::client
