// Bearer-token checks for the HTTP handlers: the 401/403 answer to a request
// whose Authorization header does not let it reach its endpoint.
//
// Thread-safety: pure functions over a thread-safe TokenAuth.
#ifndef ADLIK_FRONTENDS_HTTP_HTTP_AUTH_H_
#define ADLIK_FRONTENDS_HTTP_HTTP_AUTH_H_

#include <cstdint>
#include <optional>

#include "frontends/auth/token_auth.h"
#include "frontends/http/http_server.h"

namespace adlik::http {

// nullopt when `auth` is nullptr (authentication off) or the request's token
// holds one of the groups in `needed`. Otherwise 401 with
// `WWW-Authenticate: Bearer` (no token, or an unknown one) or 403 (a valid
// token without the group), each with a JSON {"error": ...} body.
std::optional<HttpResponse> AuthFailure(const auth::TokenAuth* auth,
                                        const HttpRequest& request,
                                        uint32_t needed);

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_HTTP_AUTH_H_
