// The KServe v2 REST API (with Triton's extensions) over the server core.
// A route table (Routes) maps method and path pattern to a handler; each
// handler parses at the edge (through the KServe layer, frontends/kserve/),
// calls the core, and renders the core's answer or its Status
// ({"error": "..."} with kserve::HttpStatusFor's code).
//
// Routes:
//   GET  /v2/health/live | /v2/health/ready          200 when true, else 400
//   GET  /v2                                         server metadata
//   GET  /v2/models/{m}[/versions/{v}]               model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready         200 when ready, else 400
//   GET  /v2/models/{m}[/versions/{v}]/config        config as JSON
//   POST /v2/models/{m}[/versions/{v}]/infer         inference (a raw binary
//                                                    request too)
//   GET  /v2/models[/{m}[/versions/{v}]]/stats       statistics
//   POST /v2/repository/index                        model states
//   POST /v2/repository/models/{m}/load | unload     explicit model control
//   GET  /v2/systemsharedmemory[/region/{r}]/status  registered regions
//   POST /v2/systemsharedmemory/region/{r}/register  {"key","offset",
//                                                    "byte_size"}
//   POST /v2/systemsharedmemory[/region/{r}]/unregister
//   GET|POST /v2[/models/{m}]/trace/setting          trace settings (global
//                                                    or the model's)
//   GET|POST /v2/logging                             log settings
//   POST /v2/cudasharedmemory/...                    the same routes; this
//                                                    server has no CUDA: status
//                                                    lists none, the others
//                                                    answer 501
//   GET  /metrics                                    Prometheus metrics
//   /v1/...                                          the Adlik and TensorFlow
//                                                    Serving APIs, when set
//
// A {v} that is not a decimal number (or is empty, or out of int64's range)
// is a malformed request: 400 naming the version, on every route.
//
// With `auth`, every route but the two health probes needs an
// `Authorization: Bearer TOKEN` header of a token with the route's group
// (RouteGroups); otherwise 401 or 403 before any routing.
//
// Thread-safety: Handle is called concurrently from the HTTP threads.
// Lifetime: `core` and `auth` must outlive the handler.
#ifndef ADLIK_FRONTENDS_HTTP_KSERVE_HTTP_HANDLER_H_
#define ADLIK_FRONTENDS_HTTP_KSERVE_HTTP_HANDLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frontends/auth/token_auth.h"
#include "frontends/http/http_server.h"
#include "frontends/kserve/kserve_json.h"
#include "frontends/shared_memory/shared_memory_registry.h"
#include "metrics/prometheus_metrics.h"
#include "server/server_core.h"

namespace adlik::http {

// The token groups (auth::Group bits, any one of which will do) that a request
// for `path` needs; 0 for the health probes, which stay open. Inference:
// infer; metadata, readiness, config, statistics: metadata; the repository
// API (and the shared-memory, logging and trace extensions, a model's trace
// settings too): admin; /metrics:
// metrics; /v1 (Adlik, TensorFlow Serving): infer for a ":verb" path
// (:predict), else metadata; any other path: any valid token (then 404).
uint32_t RouteGroups(std::string_view path);

class KServeHttpHandler : public HttpHandler {
 public:
  // `auth`: nullptr for no authentication.
  // `metrics` answers GET /metrics.
  // `shm`: the system shared-memory regions (shared with the gRPC front end);
  // nullptr: the extension is off. `v1`: the handler of the /v1 routes
  // (v1_http_handler.h), after the authentication check; nullptr: none (404).
  KServeHttpHandler(ServerCore* core, const PrometheusMetrics* metrics,
                    const auth::TokenAuth* auth = nullptr,
                    shm::SharedMemoryRegistry* shm = nullptr,
                    HttpHandler* v1 = nullptr)
      : core_(core), metrics_(metrics), auth_(auth), shm_(shm), v1_(v1) {}

  void Handle(HttpRequest request, HttpResponder respond) override;

 private:
  // What a route's {m}, {v} and {r} matched, percent-decoded; empty if
  // absent.
  struct RouteArgs {
    std::string model, version, region;
    bool versioned = false;  // the route has {v} (which must be a number)
  };
  using RouteFn = void (*)(KServeHttpHandler&, HttpRequest&, const RouteArgs&,
                           HttpResponder);
  struct Route {
    std::string method;
    std::vector<std::string_view> segments;  // "v2", "models", "{m}", ...
    RouteFn handle;
  };
  static const std::vector<Route>& Routes();
  static std::optional<RouteArgs> Match(
      const Route& route, const std::vector<std::string_view>& parts);

  void Infer(HttpRequest& request, const RouteArgs& route,
             HttpResponder respond);
  // Inference-Header-Content-Length: 0 (raw_binary_request.h).
  void InferRaw(HttpRequest& request, const RouteArgs& route,
                uint64_t received_ns, HttpResponder respond);
  // Runs a parsed request and renders its response.
  void Run(kserve::ParsedInferRequest parsed, const HttpRequest& request,
           const RouteArgs& route, uint64_t received_ns, HttpResponder respond);
  HttpResponse ModelMetadata(const RouteArgs& route);
  HttpResponse ModelReady(const RouteArgs& route);
  HttpResponse ModelConfig(const RouteArgs& route);
  HttpResponse Statistics(const RouteArgs& route);
  HttpResponse ServerMetadata();
  HttpResponse RepositoryIndex(const HttpRequest& request);
  void RepositoryControl(const HttpRequest& request, const std::string& model,
                         bool load, HttpResponder respond);
  HttpResponse SharedMemoryStatus(const RouteArgs& route);
  HttpResponse SharedMemoryRegister(const HttpRequest& request,
                                    const RouteArgs& route);
  HttpResponse SharedMemoryUnregister(const RouteArgs& route);
  // GET: the settings; POST: their update (the body's JSON).
  HttpResponse TraceSetting(const HttpRequest& request, const RouteArgs& route);
  HttpResponse LogSettings(const HttpRequest& request);

  ServerCore* const core_;
  const PrometheusMetrics* const metrics_;
  const auth::TokenAuth* const auth_;
  shm::SharedMemoryRegistry* const shm_;
  HttpHandler* const v1_;
};

}  // namespace adlik::http

#endif  // ADLIK_FRONTENDS_HTTP_KSERVE_HTTP_HANDLER_H_
