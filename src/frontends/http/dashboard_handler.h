// GET /dashboard: a web page (dashboard.html, embedded in the binary at build
// time) that lists the models with their versions, states and reasons, loads
// and unloads them in explicit model control mode, and charts throughput,
// latency and queue time percentiles and the batch sizes formed per model
// version. The page is static: it fetches everything it shows from the
// server's own API (/v2, /v2/repository/index, /v2/models/stats, /metrics)
// from the browser, with the token the user gives it as the Bearer header, so
// token authentication applies to the data as to any other client. The page
// itself carries no data and is served without a token (a browser cannot send
// the header when it navigates).
//
// DashboardHttpHandler answers GET /dashboard and hands every other request to
// the handler it wraps.
//
// Thread-safety: Handle may be called concurrently.
// Lifetime: `next` must outlive the handler.
#ifndef ADLIK_FRONTENDS_HTTP_DASHBOARD_HANDLER_H_
#define ADLIK_FRONTENDS_HTTP_DASHBOARD_HANDLER_H_

#include <string_view>

#include "frontends/http/http_server.h"

namespace adlik::http {

class DashboardHttpHandler : public HttpHandler {
 public:
  explicit DashboardHttpHandler(HttpHandler* next) : next_(next) {}
  void Handle(HttpRequest request, HttpResponder respond) override;

  // The page (dashboard.html).
  static std::string_view Page();

 private:
  HttpHandler* const next_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_DASHBOARD_HANDLER_H_
