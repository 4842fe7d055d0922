// An event-driven HTTP/1.1 server (Boost.Beast over Asio): a fixed pool of
// threads serves any number of keep-alive connections; no thread per
// connection. Requests on one connection are answered in order; the handler
// may answer later from any thread (inference completes on a scheduler
// thread). Each response goes out in one gather write with TCP_NODELAY set,
// so no Nagle/delayed-ACK stall.
//
// It knows nothing of KServe: it hands an HttpRequest to an HttpHandler.
// Bodies over `max_body_bytes` are refused with 413 before they are read.
//
// Thread-safety: Start/Stop from one thread. The handler is called on pool
// threads, concurrently for different connections.
// Lifetime: the handler must outlive the server.
#ifndef ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_
#define ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adlik/status.h"

namespace adlik::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string body;    // owned; handlers may move it out
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  // Set when the connection closes before the response is written.
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
};

class HttpServer {
 public:
  static StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                     HttpHandler* handler);
  ~HttpServer();  // Stop()

  int port() const;
  // Stops accepting, closes connections, joins the threads.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_HTTP_SERVER_H_
