// An event-driven HTTP/1.1 server (Boost.Beast over Asio), optionally over
// TLS: a fixed pool of threads serves any number of keep-alive connections;
// no thread per connection. Requests on one connection are answered in order;
// the handler may answer later from any thread (inference completes on a
// scheduler thread). Each response is handed to Beast's serializer, header
// and body as one buffer sequence (Beast may still split it into several
// writes), with TCP_NODELAY set, so no Nagle/delayed-ACK stall.
//
// It knows nothing of KServe: it hands an HttpRequest to an HttpHandler.
// - Bodies over `max_body_bytes` are refused with 413 before they are read;
//   malformed requests (trailer fields included) get 400.
// - A request's header and body must arrive within `request_timeout` of its
//   first byte (`Expect: 100-continue` included), else 408 and the
//   connection closes; a connection without a request for `idle_timeout`
//   closes. Writing a response, and a TLS handshake, are bounded by
//   `request_timeout` too.
// - A body sent with `Content-Encoding: gzip` or `deflate` is decoded before
//   the handler sees it (http_compression.h), under the same `max_body_bytes`
//   as it inflates (else 413); one that does not decode gets 400, another
//   coding 415. A response body is encoded with the coding the request's
//   Accept-Encoding prefers (Content-Encoding and Vary set).
// - HEAD on any route is handled as GET and answered with the GET's status
//   and headers, without the body.
// - A client that half-closes (shutdown(SHUT_WR)) after its request still
//   gets the answer; one that resets the connection while its request waits
//   has `cancelled` set.
// - At most `max_connections` connections at once (0: no limit): beyond it
//   the server stops accepting and new connections wait in the kernel's
//   listen backlog until one closes. When accept() fails for want of file
//   descriptors or memory, the server logs it once, keeps serving the
//   connections it has and tries again every 100 ms.
// - Drain(): stops accepting; requests already received are answered with
//   `Connection: close`; later requests on open connections get 503 with
//   `Connection: close`; idle connections close after a short grace.
// - No exception leaves a pool thread: one that escapes a handler is logged
//   and the thread goes on.
//
// Thread-safety: Start, Drain, Stop from one thread. The handler is called on
// pool threads, concurrently for different connections.
// Ownership: the server owns its threads, sockets and TLS context; it does not
// own the handler, which must outlive the server.
#ifndef ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_
#define ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/status.h"
#include "frontends/tls_options.h"

namespace adlik::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string body;    // owned; handlers may move it out
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  // Set when the connection is reset or closes before the response is
  // written (not by a half-close).
  std::shared_ptr<std::atomic<bool>> cancelled;

  // The value of a header (name in lower case), or empty.
  std::string_view Header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Sends the response. Call exactly once, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, HttpResponder respond) = 0;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8501;  // 0: pick a free port (see port())
  int threads = 0;  // 0: the number of cores
  size_t max_body_bytes = 64u << 20;
  // From a request's first byte until the whole request is in; and for
  // writing a response.
  std::chrono::milliseconds request_timeout{30000};
  // A keep-alive connection without a request for this long closes.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  size_t max_connections = 10000;  // 0: no limit
  std::optional<TlsOptions> tls;   // HTTPS when set
};

class HttpServer {
 public:
  // InvalidArgument when a timeout is not positive or OpenSSL refuses the TLS
  // key or certificates; Unavailable when it cannot listen.
  static StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                     HttpHandler* handler);
  ~HttpServer();  // Stop()

  int port() const;
  // Begins the drain (see above) and returns at once. Idempotent.
  void Drain();
  // Drains, waits until every connection has closed or `deadline` passes,
  // then closes what is left and joins the threads. Idempotent.
  void Stop(std::chrono::steady_clock::time_point deadline =
                std::chrono::steady_clock::now() + std::chrono::seconds(30));

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_
