// DashboardHttpHandler: GET /dashboard is the embedded page with its security
// headers; every other request goes to the wrapped handler untouched.
#include "frontends/http/dashboard_handler.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace adlik::http {
namespace {

class Recorder : public HttpHandler {
 public:
  void Handle(HttpRequest request, HttpResponder respond) override {
    seen.push_back(request.method + " " + request.path);
    respond(HttpResponse{404, "application/json", "{}", {}});
  }
  std::vector<std::string> seen;
};

HttpResponse Call(HttpHandler& h, std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  std::optional<HttpResponse> got;
  h.Handle(std::move(request), [&](HttpResponse r) { got = std::move(r); });
  EXPECT_TRUE(got.has_value());
  return got.value_or(HttpResponse{});
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(DashboardHttpHandlerTest, ServesThePage) {
  Recorder next;
  DashboardHttpHandler handler(&next);
  for (const char* path : {"/dashboard", "/dashboard/"}) {
    HttpResponse r = Call(handler, "GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r.body, DashboardHttpHandler::Page());
    EXPECT_NE(Header(r, "Content-Security-Policy").find("connect-src 'self'"),
              std::string::npos);
  }
  EXPECT_TRUE(next.seen.empty());
  // The embedded page is the whole file.
  const std::string_view page = DashboardHttpHandler::Page();
  EXPECT_EQ(page.substr(0, 15), "<!DOCTYPE html>");
  EXPECT_NE(page.find("</html>"), std::string_view::npos);
}

TEST(DashboardHttpHandlerTest, PassesEverythingElseOn) {
  Recorder next;
  DashboardHttpHandler handler(&next);
  EXPECT_EQ(Call(handler, "POST", "/dashboard").status, 404);
  EXPECT_EQ(Call(handler, "GET", "/dashboardx").status, 404);
  EXPECT_EQ(Call(handler, "GET", "/v2/models/stats").status, 404);
  EXPECT_EQ(next.seen,
            (std::vector<std::string>{"POST /dashboard", "GET /dashboardx",
                                      "GET /v2/models/stats"}));
}

}  // namespace
}  // namespace adlik::http
