// GET /metrics: the Prometheus text exposition of the served models. Used on
// its own port (--metrics_port) and, through KServeHttpHandler, on the HTTP
// port.
//
// With `auth`, it needs an `Authorization: Bearer TOKEN` header of a token in
// the metrics group (401/403 otherwise).
//
// Thread-safety: Handle may be called concurrently.
// Lifetime: `metrics` and `auth` must outlive the handler.
#ifndef ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_
#define ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_

#include "frontends/auth/token_auth.h"
#include "frontends/http/http_server.h"
#include "metrics/prometheus_metrics.h"

namespace adlik::http {

class MetricsHttpHandler : public HttpHandler {
 public:
  // `auth`: nullptr for no authentication.
  explicit MetricsHttpHandler(const PrometheusMetrics* metrics,
                              const auth::TokenAuth* auth = nullptr)
      : metrics_(metrics), auth_(auth) {}
  void Handle(HttpRequest request, HttpResponder respond) override;

  // The /metrics answer itself.
  static HttpResponse Render(const PrometheusMetrics& metrics);

 private:
  const PrometheusMetrics* const metrics_;
  const auth::TokenAuth* const auth_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_METRICS_HTTP_HANDLER_H_
