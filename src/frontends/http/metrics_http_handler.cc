#include "frontends/http/metrics_http_handler.h"

#include "frontends/http/http_auth.h"
#include "frontends/kserve/kserve_json.h"

namespace adlik::http {

using kserve::ErrorJson;

HttpResponse MetricsHttpHandler::Render(const PrometheusMetrics& metrics) {
  return HttpResponse{
      200, "text/plain; version=0.0.4; charset=utf-8", metrics.Render(), {}};
}

void MetricsHttpHandler::Handle(HttpRequest request, HttpResponder respond) {
  if (auto refused = AuthFailure(auth_, request, auth::kMetrics))
    return respond(std::move(*refused));
  if (request.path == "/metrics" && request.method == "GET")
    return respond(Render(*metrics_));
  respond(
      HttpResponse{404,
                   "application/json",
                   ErrorJson("no route for " + request.method + " " +
                             request.path + " (this port serves GET /metrics)"),
                   {}});
}

}  // namespace adlik::http
