#include "frontends/http/http_auth.h"

#include "frontends/kserve/kserve_json.h"

namespace adlik::http {

using kserve::ErrorJson;

std::optional<HttpResponse> AuthFailure(const auth::TokenAuth* auth,
                                        const HttpRequest& request,
                                        uint32_t needed) {
  if (auth == nullptr) return std::nullopt;
  const std::string_view header = request.Header("authorization");
  switch (auth->Check(header, needed)) {
    case auth::AuthResult::kAllowed:
      return std::nullopt;
    case auth::AuthResult::kUnauthenticated:
      // RFC 6750 section 3: no error code when no credentials came at all.
      if (header.empty()) {
        return HttpResponse{
            401,
            "application/json",
            ErrorJson("this server needs an 'Authorization: Bearer TOKEN' "
                      "header"),
            {{"WWW-Authenticate", "Bearer realm=\"adlik\""}}};
      }
      return HttpResponse{
          401,
          "application/json",
          ErrorJson("the Authorization header is not 'Bearer TOKEN' with a "
                    "valid token"),
          {{"WWW-Authenticate",
            "Bearer realm=\"adlik\", error=\"invalid_token\""}}};
    case auth::AuthResult::kForbidden:
      break;
  }
  return HttpResponse{
      403,
      "application/json",
      ErrorJson("the token does not grant " + request.method + " " +
                request.path + " (it needs the group " +
                auth::GroupNames(needed) + ")"),
      {{"WWW-Authenticate",
        "Bearer realm=\"adlik\", error=\"insufficient_scope\""}}};
}

}  // namespace adlik::http
