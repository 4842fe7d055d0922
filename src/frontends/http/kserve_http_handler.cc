#include "frontends/http/kserve_http_handler.h"

#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>

#include "base/utf8.h"
#include "frontends/http/http_auth.h"
#include "frontends/http/json_parse.h"
#include "frontends/http/kserve_json.h"
#include "frontends/http/metrics_http_handler.h"

namespace adlik::http {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

HttpResponse Json(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body), {}};
}

HttpResponse Error(const Status& s) {
  return Json(HttpStatusFor(s.code()), ErrorJson(s.message()));
}

HttpResponse Bool(bool ok) {
  return HttpResponse{ok ? 200 : 400, "text/plain", "", {}};
}

// Writes a string; bytes that are not UTF-8 (a model folder's name, say) are
// escaped, since JSON text must be UTF-8.
void Str(JsonWriter& w, std::string_view s) {
  if (IsValidUtf8(s)) {
    w.String(s.data(), s.size());
  } else {
    const std::string escaped = EscapeInvalidUtf8(s);
    w.String(escaped.data(), escaped.size());
  }
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
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

void WriteDuration(JsonWriter& w, const char* key, const DurationStat& d) {
  w.Key(key);
  w.StartObject();
  w.Key("count");
  w.Uint64(d.count);
  w.Key("ns");
  w.Uint64(d.ns);
  w.EndObject();
}

// Protobuf's JSON writes 64-bit integers as strings ("dims": ["16"]); KServe
// clients expect numbers, as Triton sends them. Turns every string that is a
// whole integer, under an integer field of ModelConfig, back into a number.
void NumbersForInt64Fields(rapidjson::Value& v,
                           rapidjson::Document::AllocatorType& a,
                           bool int_field) {
  static constexpr std::string_view kInt64Fields[] = {
      "dims",
      "versions",
      "max_queue_delay_microseconds",
      "default_timeout_microseconds",
      "priority_levels",
      "default_priority_level",
      "priority_queue_policy"};
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      const std::string_view key(m.name.GetString(), m.name.GetStringLength());
      const bool is_int =
          std::find(std::begin(kInt64Fields), std::end(kInt64Fields), key) !=
          std::end(kInt64Fields);
      NumbersForInt64Fields(m.value, a, is_int);
    }
  } else if (v.IsArray()) {
    for (auto& e : v.GetArray()) NumbersForInt64Fields(e, a, int_field);
  } else if (int_field && v.IsString()) {
    int64_t n;
    const char* b = v.GetString();
    const char* e = b + v.GetStringLength();
    auto [p, ec] = std::from_chars(b, e, n);
    if (ec == std::errc() && p == e) v.SetInt64(n);
  }
}

}  // namespace

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 400;
  }
}

uint32_t RouteGroups(std::string_view path) {
  const auto parts = Split(path);
  if (parts.size() == 1 && parts[0] == "metrics") return auth::kMetrics;
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
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  auto not_found = [&] {
    return Json(
        404, ErrorJson("no route for " + request.method + " " + request.path));
  };
  if (parts.size() == 1 && parts[0] == "metrics" && get) {
    return respond(MetricsHttpHandler::Render(*core_));
  }
  if (parts.empty() || parts[0] != "v2") {
    respond(not_found());
    return;
  }
  if (parts.size() == 1) {
    respond(get ? ServerMetadata() : not_found());
    return;
  }
  if (parts[1] == "health" && parts.size() == 3 && get) {
    if (parts[2] == "live") return respond(Bool(core_->Live()));
    if (parts[2] == "ready") return respond(Bool(core_->Ready()));
    return respond(not_found());
  }
  if (parts[1] == "repository" && parts.size() == 3 && parts[2] == "index" &&
      post) {
    return respond(RepositoryIndex(request));
  }
  if (parts[1] == "repository" && parts.size() == 5 && parts[2] == "models" &&
      post && (parts[4] == "load" || parts[4] == "unload")) {
    return RepositoryControl(request, Decode(parts[3]), parts[4] == "load",
                             std::move(respond));
  }
  if (parts[1] != "models") return respond(not_found());
  if (parts.size() == 3 && parts[2] == "stats" && get)
    return respond(Statistics("", ""));
  if (parts.size() < 3) return respond(not_found());
  ModelRoute route{Decode(parts[2]), "", ""};
  size_t next = 3;
  if (parts.size() >= 5 && parts[3] == "versions") {
    route.version = Decode(parts[4]);
    next = 5;
  }
  if (parts.size() > next + 1) return respond(not_found());
  if (parts.size() == next + 1) route.action = std::string(parts[next]);

  if (route.action.empty() && get) return respond(ModelMetadata(route));
  if (route.action == "ready" && get) return respond(ModelReady(route));
  if (route.action == "config" && get) return respond(ModelConfig(route));
  if (route.action == "stats" && get)
    return respond(Statistics(route.model, route.version));
  if (route.action == "infer" && post)
    return Infer(request, route, std::move(respond));
  respond(not_found());
}

void KServeHttpHandler::Infer(HttpRequest& request, const ModelRoute& route,
                              HttpResponder respond) {
  std::optional<size_t> header_length;
  if (auto h = request.Header("inference-header-content-length"); !h.empty()) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), n);
    if (ec != std::errc() || p != h.data() + h.size()) {
      return respond(
          Error(InvalidArgument("Inference-Header-Content-Length '" +
                                std::string(h) + "' is not a number")));
    }
    if (n > 0) header_length = n;
  }
  auto parsed = ParseInferRequest(std::move(request.body), header_length);
  if (!parsed.ok()) return respond(Error(parsed.status()));
  auto req = std::move(parsed->request);
  req->model_name = route.model;
  req->model_version = route.version;
  req->cancelled = request.cancelled;
  core_->Infer(std::move(req), [respond = std::move(respond),
                                binary = std::move(parsed->binary_outputs),
                                by_default = parsed->binary_by_default](
                                   StatusOr<InferResponse> result) mutable {
    if (!result.ok()) return respond(Error(result.status()));
    binary.resize(result->outputs.size(), by_default);
    RenderedResponse r = RenderInferResponse(*result, binary);
    HttpResponse response{200, "application/json", std::move(r.body), {}};
    if (r.header_length) {
      response.content_type = "application/octet-stream";
      response.headers.emplace_back("Inference-Header-Content-Length",
                                    std::to_string(*r.header_length));
    }
    respond(std::move(response));
  });
}

HttpResponse KServeHttpHandler::ServerMetadata() {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("name");
  Str(w, core_->name());
  w.Key("version");
  Str(w, ServerCore::Version());
  w.Key("extensions");
  w.StartArray();
  for (const auto& e : ServerCore::Extensions()) Str(w, e);
  w.EndArray();
  w.EndObject();
  return Json(200, buffer.GetString());
}

HttpResponse KServeHttpHandler::ModelMetadata(const ModelRoute& route) {
  auto model = core_->GetModel(route.model, route.version);
  if (!model.ok()) return Error(model.status());
  const auto& config = (*model)->config();
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("name");
  Str(w, (*model)->name());
  w.Key("versions");
  w.StartArray();
  if (route.version.empty()) {
    for (const auto& v : core_->ReadyVersions(route.model)) Str(w, v);
  } else {
    Str(w, (*model)->version_string());
  }
  w.EndArray();
  w.Key("platform");
  Str(w, config.platform());
  auto tensors = [&](const char* key, const auto& list) {
    w.Key(key);
    w.StartArray();
    for (const auto& t : list) {
      w.StartObject();
      w.Key("name");
      Str(w, t.name());
      w.Key("datatype");
      Str(w, DataTypeName(static_cast<DataType>(t.data_type())));
      w.Key("shape");
      w.StartArray();
      if (config.max_batch_size() > 0) w.Int64(-1);
      for (int64_t d : t.dims()) w.Int64(d);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  };
  tensors("inputs", config.input());
  tensors("outputs", config.output());
  w.EndObject();
  return Json(200, buffer.GetString());
}

HttpResponse KServeHttpHandler::ModelReady(const ModelRoute& route) {
  return Bool(core_->GetModel(route.model, route.version).ok());
}

HttpResponse KServeHttpHandler::ModelConfig(const ModelRoute& route) {
  auto model = core_->GetModel(route.model, route.version);
  if (!model.ok()) return Error(model.status());
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  auto s = google::protobuf::util::MessageToJsonString((*model)->config(),
                                                       &json, options);
  if (!s.ok())
    return Error(Internal("cannot render the config: " + s.ToString()));
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  NumbersForInt64Fields(doc, doc.GetAllocator(), false);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  doc.Accept(w);
  return Json(200, std::string(buffer.GetString(), buffer.GetSize()));
}

HttpResponse KServeHttpHandler::Statistics(const std::string& model,
                                           const std::string& version) {
  auto entries = core_->Statistics(model, version);
  if (!entries.ok()) return Error(entries.status());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("model_stats");
  w.StartArray();
  for (const auto& e : *entries) {
    const auto& s = e.stats;
    w.StartObject();
    w.Key("name");
    Str(w, e.name);
    w.Key("version");
    Str(w, e.version);
    w.Key("last_inference");
    w.Uint64(s.last_inference_ms);
    w.Key("inference_count");
    w.Uint64(s.inference_count);
    w.Key("execution_count");
    w.Uint64(s.execution_count);
    w.Key("inference_stats");
    w.StartObject();
    WriteDuration(w, "success", s.success);
    WriteDuration(w, "fail", s.fail);
    WriteDuration(w, "queue", s.queue);
    WriteDuration(w, "compute_input", s.compute_input);
    WriteDuration(w, "compute_infer", s.compute_infer);
    WriteDuration(w, "compute_output", s.compute_output);
    WriteDuration(w, "cache_hit", {});
    WriteDuration(w, "cache_miss", {});
    w.EndObject();
    w.Key("batch_stats");
    w.StartArray();
    for (const auto& [size, b] : s.batch_stats) {
      w.StartObject();
      w.Key("batch_size");
      w.Uint64(size);
      WriteDuration(w, "compute_input", b.compute_input);
      WriteDuration(w, "compute_infer", b.compute_infer);
      WriteDuration(w, "compute_output", b.compute_output);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Json(200, buffer.GetString());
}

void KServeHttpHandler::RepositoryControl(const HttpRequest& request,
                                          const std::string& model, bool load,
                                          HttpResponder respond) {
  std::string config;
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
          config.assign(p.value.GetString(), p.value.GetStringLength());
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
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const auto& e : core_->Index()) {
    if (ready_only && e.state != ModelState::kReady) continue;
    w.StartObject();
    w.Key("name");
    Str(w, e.name);
    if (!e.version.empty()) {
      w.Key("version");
      Str(w, e.version);
    }
    w.Key("state");
    Str(w, ModelStateName(e.state));
    w.Key("reason");
    Str(w, e.reason);
    w.EndObject();
  }
  w.EndArray();
  return Json(200, buffer.GetString());
}

}  // namespace adlik::http
