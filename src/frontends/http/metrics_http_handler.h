// GET /metrics: the Prometheus text exposition of the served models. Used on
// its own port (--metrics_port) and, through KServeHttpHandler, on the HTTP
// port.
//
// Thread-safety: Handle may be called concurrently.
// Lifetime: `core` must outlive the handler.
#ifndef ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_
#define ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_

#include "frontends/http/http_server.h"
#include "server/server_core.h"

namespace adlik::http {

class MetricsHttpHandler : public HttpHandler {
 public:
  explicit MetricsHttpHandler(const ServerCore* core) : core_(core) {}
  void Handle(HttpRequest request, HttpResponder respond) override;

  // The /metrics answer itself.
  static HttpResponse Render(const ServerCore& core);

 private:
  const ServerCore* const core_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_
