#include "frontends/http/kserve_http_handler.h"

#include <rapidjson/document.h>

#include <charconv>

#include "base/clock.h"
#include "frontends/http/http_auth.h"
#include "frontends/http/metrics_http_handler.h"
#include "frontends/http/raw_binary_request.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/kserve/kserve_json.h"
#include "frontends/kserve/kserve_protocol.h"
#include "frontends/kserve/kserve_render.h"
#include "frontends/kserve/kserve_settings.h"
#include "frontends/kserve/proto_json.h"
#include "frontends/shared_memory/shared_memory_tensors.h"

namespace adlik::http {

using kserve::ErrorJson;
using kserve::ParseInferRequest;
using kserve::ParseJson;
using kserve::RenderedResponse;
using kserve::RenderInferResponse;
namespace {

HttpResponse Json(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body), {}};
}

HttpResponse Error(const Status& s) {
  return Json(kserve::HttpStatusFor(s.code()), ErrorJson(s.message()));
}

HttpResponse Bool(bool ok) {
  return HttpResponse{ok ? 200 : 400, "text/plain", "", {}};
}

// The path's segments: "/v2/models/m" -> {"v2", "models", "m"}. An empty
// segment inside the path ("versions//infer") is kept, so that a route's {v}
// matches it and refuses it; the leading '/' and a trailing one make none.
std::vector<std::string_view> Split(std::string_view path) {
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.ends_with('/')) path.remove_suffix(1);
  std::vector<std::string_view> parts;
  if (path.empty()) return parts;
  for (size_t pos = 0;;) {
    const size_t next = path.find('/', pos);
    if (next == std::string_view::npos) {
      parts.push_back(path.substr(pos));
      return parts;
    }
    parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
}

// Percent-decodes a path segment.
std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ec ==
            std::errc()) {
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

uint32_t RouteGroups(std::string_view path) {
  const auto parts = Split(path);
  if (parts.size() == 1 && parts[0] == "metrics") return auth::kMetrics;
  if (!parts.empty() && parts[0] == "v1") {
    // The Adlik and TensorFlow Serving routes (v1_http_handler.h).
    return parts.back().find(':') != std::string_view::npos ? auth::kInfer
                                                            : auth::kMetadata;
  }
  if (parts.empty() || parts[0] != "v2") return auth::kAnyGroup;
  if (parts.size() == 1) return auth::kMetadata;
  const std::string_view area = parts[1];
  if (area == "health") {
    if (parts.size() == 3 && (parts[2] == "live" || parts[2] == "ready"))
      return 0;
    return auth::kAnyGroup;
  }
  if (area == "repository" || area == "systemsharedmemory" ||
      area == "cudasharedmemory" || area == "logging" || area == "trace") {
    return auth::kAdmin;
  }
  if (area != "models") return auth::kAnyGroup;
  // /v2/models/{m}/trace/setting: a model's trace settings.
  if (parts.size() == 5 && parts[3] == "trace") return auth::kAdmin;
  // /v2/models/{m}[/versions/{v}]/infer, where a model may be named "infer".
  const size_t action = parts.size() >= 5 && parts[3] == "versions" ? 5 : 3;
  if (parts.size() == action + 1 && parts[action] == "infer")
    return auth::kInfer;
  return auth::kMetadata;
}

void KServeHttpHandler::Handle(HttpRequest request, HttpResponder respond) {
  if (auth_ != nullptr) {
    if (const uint32_t needed = RouteGroups(request.path); needed != 0) {
      if (auto refused = AuthFailure(auth_, request, needed))
        return respond(std::move(*refused));
    }
  }
  const auto parts = Split(request.path);
  if (v1_ != nullptr && !parts.empty() && parts[0] == "v1") {
    return v1_->Handle(std::move(request), std::move(respond));
  }
  for (const Route& route : Routes()) {
    if (request.method != route.method) continue;
    if (auto args = Match(route, parts)) {
      if (args->versioned) {
        // A malformed version is the client's error (400), not an unknown
        // version (404).
        Status s = args->version.empty()
                       ? InvalidArgument("the model version in the path " +
                                         request.path + " is empty")
                       : kserve::CheckModelVersion(args->version);
        if (!s.ok()) return respond(Error(s));
      }
      return route.handle(*this, request, *args, std::move(respond));
    }
  }
  respond(Json(
      404, ErrorJson("no route for " + request.method + " " + request.path)));
}

std::optional<KServeHttpHandler::RouteArgs> KServeHttpHandler::Match(
    const Route& route, const std::vector<std::string_view>& parts) {
  if (route.segments.size() != parts.size()) return std::nullopt;
  RouteArgs args;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view segment = route.segments[i];
    if (segment == "{m}") {
      args.model = Decode(parts[i]);
    } else if (segment == "{r}") {
      args.region = Decode(parts[i]);
    } else if (segment == "{v}") {
      args.version = Decode(parts[i]);
      args.versioned = true;
    } else if (segment != parts[i]) {
      return std::nullopt;
    }
  }
  return args;
}

const std::vector<KServeHttpHandler::Route>& KServeHttpHandler::Routes() {
  using H = KServeHttpHandler;
  using A = const RouteArgs&;
  using R = HttpResponder;
  static const std::vector<Route> kRoutes = [] {
    struct Entry {
      std::string_view method, pattern;
      RouteFn handle;
    };
    // The first match wins: fixed segments before a {m} that could match
    // them.
    const Entry entries[] = {
        {"POST", "v2/models/{m}/infer",
         [](H& h, HttpRequest& q, A a, R r) { h.Infer(q, a, std::move(r)); }},
        {"POST", "v2/models/{m}/versions/{v}/infer",
         [](H& h, HttpRequest& q, A a, R r) { h.Infer(q, a, std::move(r)); }},
        {"GET", "v2/health/live",
         [](H& h, HttpRequest&, A, R r) { r(Bool(h.core_->Live())); }},
        {"GET", "v2/health/ready",
         [](H& h, HttpRequest&, A, R r) { r(Bool(h.core_->Ready())); }},
        {"GET", "v2",
         [](H& h, HttpRequest&, A, R r) { r(h.ServerMetadata()); }},
        {"GET", "metrics",
         [](H& h, HttpRequest&, A, R r) {
           r(MetricsHttpHandler::Render(*h.metrics_));
         }},
        {"GET", "v2/models/stats",
         [](H& h, HttpRequest&, A a, R r) { r(h.Statistics(a)); }},
        {"GET", "v2/models/{m}",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelMetadata(a)); }},
        {"GET", "v2/models/{m}/versions/{v}",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelMetadata(a)); }},
        {"GET", "v2/models/{m}/ready",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelReady(a)); }},
        {"GET", "v2/models/{m}/versions/{v}/ready",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelReady(a)); }},
        {"GET", "v2/models/{m}/config",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelConfig(a)); }},
        {"GET", "v2/models/{m}/versions/{v}/config",
         [](H& h, HttpRequest&, A a, R r) { r(h.ModelConfig(a)); }},
        {"GET", "v2/models/{m}/stats",
         [](H& h, HttpRequest&, A a, R r) { r(h.Statistics(a)); }},
        {"GET", "v2/models/{m}/versions/{v}/stats",
         [](H& h, HttpRequest&, A a, R r) { r(h.Statistics(a)); }},
        {"POST", "v2/repository/index",
         [](H& h, HttpRequest& q, A, R r) { r(h.RepositoryIndex(q)); }},
        {"POST", "v2/repository/models/{m}/load",
         [](H& h, HttpRequest& q, A a, R r) {
           h.RepositoryControl(q, a.model, true, std::move(r));
         }},
        {"POST", "v2/repository/models/{m}/unload",
         [](H& h, HttpRequest& q, A a, R r) {
           h.RepositoryControl(q, a.model, false, std::move(r));
         }},
        {"GET", "v2/systemsharedmemory/status",
         [](H& h, HttpRequest&, A a, R r) { r(h.SharedMemoryStatus(a)); }},
        {"GET", "v2/systemsharedmemory/region/{r}/status",
         [](H& h, HttpRequest&, A a, R r) { r(h.SharedMemoryStatus(a)); }},
        {"POST", "v2/systemsharedmemory/region/{r}/register",
         [](H& h, HttpRequest& q, A a, R r) {
           r(h.SharedMemoryRegister(q, a));
         }},
        {"POST", "v2/systemsharedmemory/unregister",
         [](H& h, HttpRequest&, A a, R r) { r(h.SharedMemoryUnregister(a)); }},
        {"POST", "v2/systemsharedmemory/region/{r}/unregister",
         [](H& h, HttpRequest&, A a, R r) { r(h.SharedMemoryUnregister(a)); }},
        {"GET", "v2/trace/setting",
         [](H& h, HttpRequest& q, A a, R r) { r(h.TraceSetting(q, a)); }},
        {"POST", "v2/trace/setting",
         [](H& h, HttpRequest& q, A a, R r) { r(h.TraceSetting(q, a)); }},
        {"GET", "v2/models/{m}/trace/setting",
         [](H& h, HttpRequest& q, A a, R r) { r(h.TraceSetting(q, a)); }},
        {"POST", "v2/models/{m}/trace/setting",
         [](H& h, HttpRequest& q, A a, R r) { r(h.TraceSetting(q, a)); }},
        {"GET", "v2/logging",
         [](H& h, HttpRequest& q, A, R r) { r(h.LogSettings(q)); }},
        {"POST", "v2/logging",
         [](H& h, HttpRequest& q, A, R r) { r(h.LogSettings(q)); }},
        {"GET", "v2/cudasharedmemory/status",
         [](H&, HttpRequest&, A, R r) { r(Json(200, "[]")); }},
        {"GET", "v2/cudasharedmemory/region/{r}/status",
         [](H&, HttpRequest&, A a, R r) {
           r(Error(NotFound("CUDA shared-memory region '" + a.region +
                            "' is not registered")));
         }},
        {"POST", "v2/cudasharedmemory/region/{r}/register",
         [](H&, HttpRequest&, A, R r) {
           r(Error(kserve::NoCudaSharedMemory()));
         }},
        {"POST", "v2/cudasharedmemory/unregister",
         [](H&, HttpRequest&, A, R r) { r(Json(200, "{}")); }},
        {"POST", "v2/cudasharedmemory/region/{r}/unregister",
         [](H&, HttpRequest&, A, R r) {
           r(Error(kserve::NoCudaSharedMemory()));
         }},
    };
    std::vector<Route> routes;
    for (const Entry& e : entries) {
      routes.push_back({std::string(e.method), Split(e.pattern), e.handle});
    }
    return routes;
  }();
  return kRoutes;
}

void KServeHttpHandler::Infer(HttpRequest& request, const RouteArgs& route,
                              HttpResponder respond) {
  const uint64_t received_ns = Clock::Real()->NowNs();
  std::optional<size_t> header_length;
  if (auto h = request.Header("inference-header-content-length"); !h.empty()) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), n);
    if (ec != std::errc() || p != h.data() + h.size()) {
      return respond(
          Error(InvalidArgument("Inference-Header-Content-Length '" +
                                std::string(h) + "' is not a number")));
    }
    if (n == 0)
      return InferRaw(request, route, received_ns, std::move(respond));
    header_length = n;
  }
  auto parsed = ParseInferRequest(std::move(request.body), header_length);
  if (!parsed.ok()) return respond(Error(parsed.status()));
  Run(std::move(parsed).value(), request, route, received_ns,
      std::move(respond));
}

void KServeHttpHandler::InferRaw(HttpRequest& request, const RouteArgs& route,
                                 uint64_t received_ns, HttpResponder respond) {
  auto config = core_->GetModelConfig(route.model, route.version);
  if (!config.ok()) return respond(Error(config.status()));
  auto req = ParseRawBinaryRequest(*config, std::move(request.body));
  if (!req.ok()) return respond(Error(req.status()));
  kserve::ParsedInferRequest parsed;
  parsed.request = std::move(req).value();
  parsed.binary_by_default = true;  // every output, as binary data
  Run(std::move(parsed), request, route, received_ns, std::move(respond));
}

void KServeHttpHandler::Run(kserve::ParsedInferRequest parsed,
                            const HttpRequest& request, const RouteArgs& route,
                            uint64_t received_ns, HttpResponder respond) {
  auto req = std::move(parsed.request);
  req->model_name = route.model;
  req->model_version = route.version;
  req->cancelled = request.cancelled;
  req->received_ns = received_ns;
  for (const auto& [name, value] : request.headers) {
    if (name == "traceparent") req->traceparent = value;
  }
  auto blocks = shm::PlaceTensors(shm_, parsed.shm, req.get());
  if (!blocks.ok()) return respond(Error(blocks.status()));
  core_->Infer(
      std::move(req),
      [respond = std::move(respond), binary = std::move(parsed.binary_outputs),
       by_default = parsed.binary_by_default,
       shm = std::move(parsed.shm.outputs), blocks = std::move(blocks).value()](
          StatusOr<InferResponse> result) mutable {
        if (!result.ok()) return respond(Error(result.status()));
        if (Status s = shm::WriteOutputs(blocks, *result); !s.ok())
          return respond(Error(s));
        binary.resize(result->outputs.size(), by_default);
        RenderedResponse r = RenderInferResponse(*result, binary, shm);
        HttpResponse response{200, "application/json", std::move(r.body), {}};
        if (r.header_length) {
          response.content_type = "application/octet-stream";
          response.headers.emplace_back("Inference-Header-Content-Length",
                                        std::to_string(*r.header_length));
        }
        if (result->encoded) result->encoded();
        respond(std::move(response));
      });
}

HttpResponse KServeHttpHandler::TraceSetting(const HttpRequest& request,
                                             const RouteArgs& route) {
  auto render = [](const StatusOr<TraceSettingMap>& settings) {
    return settings.ok() ? Json(200, kserve::TraceSettingsJson(*settings))
                         : Error(settings.status());
  };
  if (request.method != "POST")
    return render(core_->GetTraceSettings(route.model));
  auto update = kserve::ParseTraceSettingsJson(request.body);
  if (!update.ok()) return Error(update.status());
  return render(core_->UpdateTraceSettings(route.model, *update));
}

HttpResponse KServeHttpHandler::LogSettings(const HttpRequest& request) {
  if (request.method != "POST")
    return Json(200, kserve::LogSettingsJson(core_->GetLogSettings()));
  auto update = kserve::ParseLogSettingsJson(request.body);
  if (!update.ok()) return Error(update.status());
  auto settings = core_->UpdateLogSettings(*update);
  if (!settings.ok()) return Error(settings.status());
  return Json(200, kserve::LogSettingsJson(*settings));
}

HttpResponse KServeHttpHandler::ServerMetadata() {
  inference::ServerMetadataResponse m;
  kserve::RenderServerMetadata(core_->name(), ServerCore::Version(), &m);
  return Json(200, kserve::ProtoJson(m));
}

HttpResponse KServeHttpHandler::ModelMetadata(const RouteArgs& route) {
  auto metadata = core_->GetModelMetadata(route.model, route.version);
  if (!metadata.ok()) return Error(metadata.status());
  inference::ModelMetadataResponse m;
  kserve::RenderModelMetadata(*metadata, &m);
  return Json(200, kserve::ProtoJson(m));
}

HttpResponse KServeHttpHandler::ModelReady(const RouteArgs& route) {
  return Bool(core_->ModelReady(route.model, route.version));
}

HttpResponse KServeHttpHandler::ModelConfig(const RouteArgs& route) {
  auto config = core_->GetModelConfig(route.model, route.version);
  if (!config.ok()) return Error(config.status());
  return Json(200, kserve::ProtoJson(*config));
}

HttpResponse KServeHttpHandler::Statistics(const RouteArgs& route) {
  auto entries = core_->Statistics(route.model, route.version);
  if (!entries.ok()) return Error(entries.status());
  inference::ModelStatisticsResponse m;
  kserve::RenderStatistics(*entries, &m);
  return Json(200, kserve::ProtoJson(m));
}

void KServeHttpHandler::RepositoryControl(const HttpRequest& request,
                                          const std::string& model, bool load,
                                          HttpResponder respond) {
  std::optional<inference::ModelConfig> config;
  if (!request.body.empty()) {
    rapidjson::Document doc;
    if (Status s = ParseJson(request.body, "repository", &doc); !s.ok())
      return respond(Error(s));
    if (!doc.IsObject())
      return respond(
          Error(InvalidArgument("repository: the body must be a JSON object")));
    auto params = doc.FindMember("parameters");
    if (params != doc.MemberEnd()) {
      if (!params->value.IsObject())
        return respond(Error(
            InvalidArgument("repository: 'parameters' must be an object")));
      for (const auto& p : params->value.GetObject()) {
        const std::string key = p.name.GetString();
        if (load && key == "config") {
          if (!p.value.IsString())
            return respond(Error(InvalidArgument(
                "load: parameter 'config' must be a string of JSON")));
          auto parsed = kserve::ParseConfigOverride(
              model,
              std::string_view(p.value.GetString(), p.value.GetStringLength()));
          if (!parsed.ok()) return respond(Error(parsed.status()));
          config = std::move(parsed).value();
        } else if (load && key.starts_with("file:")) {
          return respond(Error(Unimplemented("load: file overrides ('" + key +
                                             "') are not supported")));
        }
      }
    }
  }
  // Loads run on the core's control thread; this I/O thread goes on.
  auto answer = [respond = std::move(respond)](Status s) {
    respond(s.ok() ? Json(200, "{}") : Error(s));
  };
  if (load) {
    core_->LoadModel(model, std::move(config), std::move(answer));
  } else {
    core_->UnloadModel(model, std::move(answer));
  }
}

HttpResponse KServeHttpHandler::RepositoryIndex(const HttpRequest& request) {
  bool ready_only = false;
  if (!request.body.empty()) {
    rapidjson::Document doc;
    if (Status s = ParseJson(request.body, "repository index", &doc); !s.ok())
      return Error(s);
    if (!doc.IsObject())
      return Error(
          InvalidArgument("repository index: the body must be a JSON object"));
    if (auto r = doc.FindMember("ready"); r != doc.MemberEnd()) {
      if (!r->value.IsBool())
        return Error(InvalidArgument("'ready' must be a boolean"));
      ready_only = r->value.GetBool();
    }
  }
  // A bare array of the gRPC answer's entries.
  inference::RepositoryIndexResponse index;
  kserve::RenderIndex(core_->Index(), ready_only, &index);
  rapidjson::StringBuffer buffer;
  kserve::JsonWriter w(buffer);
  w.StartArray();
  for (const auto& m : index.models()) kserve::WriteProtoJson(w, m);
  w.EndArray();
  return Json(200, std::string(buffer.GetString(), buffer.GetSize()));
}

HttpResponse KServeHttpHandler::SharedMemoryStatus(const RouteArgs& route) {
  if (shm_ == nullptr) return Error(kserve::NoSystemSharedMemory());
  auto regions = shm_->List(route.region);
  if (!regions.ok()) return Error(regions.status());
  rapidjson::StringBuffer buffer;
  kserve::JsonWriter w(buffer);
  w.StartArray();
  for (const shm::RegionStatus& r : *regions) {
    w.StartObject();
    w.Key("name");
    w.String(r.name.data(), r.name.size());
    w.Key("key");
    w.String(r.key.data(), r.key.size());
    w.Key("offset");
    w.Uint64(r.offset);
    w.Key("byte_size");
    w.Uint64(r.byte_size);
    w.EndObject();
  }
  w.EndArray();
  return Json(200, std::string(buffer.GetString(), buffer.GetSize()));
}

HttpResponse KServeHttpHandler::SharedMemoryRegister(const HttpRequest& request,
                                                     const RouteArgs& route) {
  if (shm_ == nullptr) return Error(kserve::NoSystemSharedMemory());
  const std::string where =
      "register shared-memory region '" + route.region + "'";
  rapidjson::Document doc;
  if (Status s = ParseJson(request.body, where, &doc); !s.ok()) return Error(s);
  if (!doc.IsObject())
    return Error(InvalidArgument(where + ": the body must be a JSON object"));
  auto key = doc.FindMember("key");
  if (key == doc.MemberEnd() || !key->value.IsString())
    return Error(InvalidArgument(where + ": 'key' (a string) is required"));
  uint64_t offset = 0;
  if (auto o = doc.FindMember("offset"); o != doc.MemberEnd()) {
    if (!o->value.IsUint64())
      return Error(
          InvalidArgument(where + ": 'offset' must be an integer >= 0"));
    offset = o->value.GetUint64();
  }
  auto size = doc.FindMember("byte_size");
  if (size == doc.MemberEnd() || !size->value.IsUint64())
    return Error(
        InvalidArgument(where + ": 'byte_size' (an integer >= 0) is required"));
  Status s = shm_->Register(
      route.region,
      std::string(key->value.GetString(), key->value.GetStringLength()), offset,
      size->value.GetUint64());
  return s.ok() ? Json(200, "{}") : Error(s);
}

HttpResponse KServeHttpHandler::SharedMemoryUnregister(const RouteArgs& route) {
  if (shm_ == nullptr) return Error(kserve::NoSystemSharedMemory());
  if (route.region.empty()) {
    shm_->UnregisterAll();
    return Json(200, "{}");
  }
  Status s = shm_->Unregister(route.region);
  return s.ok() ? Json(200, "{}") : Error(s);
}

}  // namespace adlik::http
