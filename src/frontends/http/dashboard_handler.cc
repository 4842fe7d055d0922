#include "frontends/http/dashboard_handler.h"

#include <string>
#include <utility>

namespace adlik::http {

void DashboardHttpHandler::Handle(HttpRequest request, HttpResponder respond) {
  if (request.method != "GET" ||
      (request.path != "/dashboard" && request.path != "/dashboard/")) {
    return next_->Handle(std::move(request), std::move(respond));
  }
  respond(HttpResponse{
      200,
      "text/html; charset=utf-8",
      std::string(Page()),
      {// Everything the page runs is in it; it talks only to this server.
       {"Content-Security-Policy",
        "default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; connect-src 'self'"},
       {"Cache-Control", "no-cache"},
       {"X-Content-Type-Options", "nosniff"}}});
}

}  // namespace adlik::http
