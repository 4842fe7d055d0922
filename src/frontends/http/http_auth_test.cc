#include "frontends/http/http_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "frontends/http/kserve_http_handler.h"

namespace adlik::http {
namespace {

using ::testing::HasSubstr;

TEST(RouteGroupsTest, MapsEveryEndpoint) {
  EXPECT_EQ(RouteGroups("/v2/health/live"), 0u);
  EXPECT_EQ(RouteGroups("/v2/health/ready"), 0u);
  EXPECT_EQ(RouteGroups("/v2/health/other"), auth::kAnyGroup);
  EXPECT_EQ(RouteGroups("/v2"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple/versions/1"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple/ready"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple/config"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple/stats"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/stats"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/simple/infer"), auth::kInfer);
  EXPECT_EQ(RouteGroups("/v2/models/simple/versions/2/infer"), auth::kInfer);
  // A model named "infer": its metadata is not an inference.
  EXPECT_EQ(RouteGroups("/v2/models/infer"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/models/infer/versions/1"), auth::kMetadata);
  EXPECT_EQ(RouteGroups("/v2/repository/index"), auth::kAdmin);
  EXPECT_EQ(RouteGroups("/v2/repository/models/simple/load"), auth::kAdmin);
  EXPECT_EQ(RouteGroups("/v2/repository/models/simple/unload"), auth::kAdmin);
  EXPECT_EQ(RouteGroups("/v2/systemsharedmemory/region/x/register"),
            auth::kAdmin);
  EXPECT_EQ(RouteGroups("/v2/logging"), auth::kAdmin);
  EXPECT_EQ(RouteGroups("/v2/trace/setting"), auth::kAdmin);
  EXPECT_EQ(RouteGroups("/metrics"), auth::kMetrics);
  EXPECT_EQ(RouteGroups("/"), auth::kAnyGroup);
  EXPECT_EQ(RouteGroups("/other"), auth::kAnyGroup);
}

HttpRequest Request(std::string authorization) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/v2/repository/index";
  if (!authorization.empty())
    r.headers.emplace_back("authorization", std::move(authorization));
  return r;
}

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(AuthFailureTest, AnswersUnauthenticatedAndForbidden) {
  auto auth = auth::TokenAuth::FromText("reader metadata\nboss admin\n");
  ASSERT_TRUE(auth.ok());
  const auth::TokenAuth* a = auth->get();

  EXPECT_FALSE(AuthFailure(nullptr, Request(""), auth::kAdmin).has_value());
  EXPECT_FALSE(
      AuthFailure(a, Request("Bearer boss"), auth::kAdmin).has_value());

  auto none = AuthFailure(a, Request(""), auth::kAdmin);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(HeaderOf(*none, "WWW-Authenticate"), HasSubstr("Bearer"));
  EXPECT_THAT(none->body, HasSubstr("Authorization: Bearer TOKEN"));

  auto unknown = AuthFailure(a, Request("Bearer nobody"), auth::kAdmin);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 401);
  EXPECT_THAT(HeaderOf(*unknown, "WWW-Authenticate"),
              HasSubstr("invalid_token"));

  auto wrong = AuthFailure(a, Request("Bearer reader"), auth::kAdmin);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 403);
  EXPECT_THAT(wrong->body, HasSubstr("GET /v2/repository/index"));
  EXPECT_THAT(wrong->body, HasSubstr("admin"));
}

}  // namespace
}  // namespace adlik::http
