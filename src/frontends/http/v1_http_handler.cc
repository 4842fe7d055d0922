#include "frontends/http/v1_http_handler.h"

#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <memory>

#include "base/clock.h"
#include "frontends/adlik/adlik_protocol.h"
#include "frontends/kserve/json_parse.h"
#include "frontends/kserve/kserve_json.h"
#include "frontends/kserve/kserve_protocol.h"
#include "frontends/tfserving/tfs_json.h"
#include "frontends/tfserving/tfs_protocol.h"

namespace adlik::http {
namespace {

namespace as = ::adlik::serving;
namespace tfs = ::tensorflow::serving;
using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

HttpResponse Json(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body), {}};
}

HttpResponse Error(const adlik::Status& s) {
  return Json(kserve::HttpStatusFor(s.code()), kserve::ErrorJson(s.message()));
}

// Field names as in the .proto. `all_fields`: also those at their default
// (TensorFlow Serving's REST answers carry them; the original Adlik's do not).
std::string ToJson(const google::protobuf::Message& m, bool all_fields = true) {
  JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = all_fields;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

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

// Whether `v` is a TensorProto in JSON.
bool IsTensorProto(const rapidjson::Value& v) {
  if (!v.IsObject()) return false;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    if (key == "dtype" || key == "tensor_shape" || key == "tensorShape" ||
        key == "tensor_content" || key == "tensorContent" ||
        key.ends_with("_val") || key.ends_with("Val")) {
      return true;
    }
  }
  return false;
}

adlik::Status Refused(const char* api, const char* flag) {
  return NotFound(std::string("the ") + api + " API is turned off (" + flag +
                  "=false)");
}

}  // namespace

bool IsAdlikPredictBody(const rapidjson::Document& body) {
  if (!body.IsObject()) return false;
  for (const char* key : {"model_spec", "modelSpec", "batch_size", "batchSize",
                          "output_filter", "outputFilter"}) {
    if (body.HasMember(key)) return true;
  }
  if (body.HasMember("instances") || body.HasMember("signature_name"))
    return false;
  auto inputs = body.FindMember("inputs");
  if (inputs == body.MemberEnd() || !inputs->value.IsObject()) return false;
  for (auto m = inputs->value.MemberBegin(); m != inputs->value.MemberEnd();
       ++m) {
    if (IsTensorProto(m->value)) return true;
  }
  return false;
}

void V1HttpHandler::Handle(HttpRequest request, HttpResponder respond) {
  // /v1/models/{m}[/versions/{v}|/labels/{l}][/metadata][:verb]
  std::string_view path = request.path;
  Target target;
  const bool post = request.method == "POST";
  if (post) {
    const size_t colon = path.rfind(':');
    const size_t slash = path.rfind('/');
    if (colon != std::string_view::npos &&
        (slash == std::string_view::npos || colon > slash)) {
      target.verb = std::string(path.substr(colon + 1));
      path = path.substr(0, colon);
    }
  }
  std::vector<std::string_view> parts;
  for (size_t pos = 1; pos <= path.size();) {
    const size_t next = std::min(path.find('/', pos), path.size());
    parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  size_t n = parts.size();
  if (!post && n >= 4 && parts.back() == "metadata") {
    target.metadata = true;
    --n;
  }
  const bool shape_ok =
      n >= 3 && parts[0] == "v1" && parts[1] == "models" && !parts[2].empty() &&
      (n == 3 || (n == 5 && (parts[3] == "versions" || parts[3] == "labels")));
  if (!shape_ok || (post && target.verb.empty()) || (post && target.metadata) ||
      (request.method != "GET" && request.method != "POST")) {
    return respond(
        Json(404, kserve::ErrorJson("no route for " + request.method + " " +
                                    request.path)));
  }
  target.model = Decode(parts[2]);
  if (n == 5) {
    if (parts[3] == "versions") {
      target.version = Decode(parts[4]);
      adlik::Status s = target.version.empty()
                            ? InvalidArgument("the model version in the path " +
                                              request.path + " is empty")
                            : kserve::CheckModelVersion(target.version);
      if (!s.ok()) return respond(Error(s));
    } else {
      target.label = Decode(parts[4]);
      return respond(Error(
          NotFound("model '" + target.model + "': no version has the label '" +
                   target.label +
                   "' (this server has no version labels; use /versions/N)")));
    }
  }
  if (post) {
    if (target.verb == "predict") {
      return Predict(request, target, std::move(respond));
    }
    if (target.verb == "ml_predict") {
      return respond(Error(adlik_api::RefuseTask(":ml_predict")));
    }
    if (target.verb == "classify" || target.verb == "regress") {
      return respond(Error(Unimplemented(
          ":" + target.verb +
          " is not supported: the models served here have no tf.Example "
          "signatures; use :predict")));
    }
    return respond(Json(
        404, kserve::ErrorJson("no route for POST " + request.path + " (':" +
                               target.verb + "' is not a method here)")));
  }
  respond(target.metadata ? Metadata(target) : Status(target));
}

void V1HttpHandler::Predict(HttpRequest& request, const Target& target,
                            HttpResponder respond) {
  // The document points into the body, which the Adlik path re-reads; the
  // TensorFlow Serving path copies what it keeps.
  rapidjson::Document body;
  if (adlik::Status s =
          kserve::ParseJson(request.body, "the request body", &body);
      !s.ok()) {
    return respond(Error(s));
  }
  if (IsAdlikPredictBody(body)) {
    if (!apis_.adlik) {
      return respond(Error(Refused("Adlik", "--enable_adlik_api")));
    }
    return AdlikPredict(request, target, std::move(respond));
  }
  if (!apis_.tfserving) {
    return respond(
        Error(Refused("TensorFlow Serving", "--enable_tfserving_api")));
  }
  TfServingPredict(body, target, request, std::move(respond));
}

void V1HttpHandler::AdlikPredict(HttpRequest& request, const Target& target,
                                 HttpResponder respond) {
  const uint64_t received_ns = Clock::Real()->NowNs();
  auto message = std::make_shared<as::PredictRequest>();
  JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (auto s = google::protobuf::util::JsonStringToMessage(
          request.body, message.get(), options);
      !s.ok()) {
    return respond(Error(InvalidArgument(
        "the request body is not an Adlik PredictRequest in JSON: " +
        std::string(s.message()))));
  }
  as::ModelSpec* spec = message->mutable_model_spec();
  spec->set_name(target.model);
  if (!target.version.empty()) {
    spec->mutable_version()->set_value(std::stoll(target.version));
  } else {
    spec->clear_version_choice();
  }
  auto metadata = core_->GetModelMetadata(target.model, target.version);
  if (!metadata.ok()) return respond(Error(metadata.status()));
  auto parsed = adlik_api::FromPredictRequest(*message, *metadata);
  if (!parsed.ok()) return respond(Error(parsed.status()));
  (*parsed)->model_version = target.version;
  (*parsed)->cancelled = request.cancelled;
  (*parsed)->received_ns = received_ns;
  (*parsed)->keepalive = message;
  core_->Infer(
      std::move(parsed).value(),
      [message, respond = std::move(respond)](StatusOr<InferResponse> result) {
        if (!result.ok()) return respond(Error(result.status()));
        as::PredictResponse response;
        if (adlik::Status s =
                adlik_api::ToPredictResponse(*result, *message, &response);
            !s.ok()) {
          return respond(Error(s));
        }
        HttpResponse r = Json(200, ToJson(response, false));
        if (result->encoded) result->encoded();
        respond(std::move(r));
      });
}

void V1HttpHandler::TfServingPredict(const rapidjson::Document& body,
                                     const Target& target,
                                     const HttpRequest& request,
                                     HttpResponder respond) {
  const uint64_t received_ns = Clock::Real()->NowNs();
  auto metadata = core_->GetModelMetadata(target.model, target.version);
  if (!metadata.ok()) return respond(Error(metadata.status()));
  auto parsed = tfserving::ParsePredictJson(body, *metadata);
  if (!parsed.ok()) return respond(Error(parsed.status()));
  auto req = std::move(parsed->request);
  req->model_name = target.model;
  req->model_version = target.version;
  req->cancelled = request.cancelled;
  req->received_ns = received_ns;
  core_->Infer(std::move(req),
               [row = parsed->row_format,
                respond = std::move(respond)](StatusOr<InferResponse> result) {
                 if (!result.ok()) return respond(Error(result.status()));
                 auto json = tfserving::RenderPredictJson(*result, row);
                 if (!json.ok()) return respond(Error(json.status()));
                 HttpResponse r = Json(200, std::move(json).value());
                 if (result->encoded) result->encoded();
                 respond(std::move(r));
               });
}

HttpResponse V1HttpHandler::Status(const Target& target) {
  if (!apis_.tfserving) {
    return Error(Refused("TensorFlow Serving", "--enable_tfserving_api"));
  }
  auto status =
      tfserving::ModelStatus(target.model, target.version, core_->Index());
  if (!status.ok()) return Error(status.status());
  return Json(200, ToJson(*status));
}

HttpResponse V1HttpHandler::Metadata(const Target& target) {
  // Each API's answer is a JSON object; the two are merged into one.
  std::string body = "{";
  if (apis_.tfserving) {
    auto metadata = core_->GetModelMetadata(target.model, target.version);
    if (!metadata.ok()) return Error(metadata.status());
    tfs::GetModelMetadataResponse m;
    tfserving::RenderModelMetadata(*metadata, &m);
    tfs::SignatureDefMap signatures;
    m.metadata().at("signature_def").UnpackTo(&signatures);
    body += "\"model_spec\":" + ToJson(m.model_spec()) +
            ",\"metadata\":{\"signature_def\":" + ToJson(signatures) + "}";
  }
  if (apis_.adlik) {
    auto config = core_->GetModelConfig(target.model, target.version);
    if (!config.ok()) return Error(config.status());
    as::GetModelMetaResponse meta;
    adlik_api::RenderModelMeta(*config, core_->Index(), &meta);
    if (!apis_.tfserving) {
      body += "\"model_spec\":" + ToJson(meta.model_spec()) + ",";
    } else {
      body += ",";
    }
    body += "\"config\":" + ToJson(meta.config(), false);
    // version_status: a map whose JSON form is an object.
    as::GetModelMetaResponse statuses;
    *statuses.mutable_version_status() = meta.version_status();
    const std::string s = ToJson(statuses, false);
    body += ',';
    body.append(s, 1, s.size() - 2);
  }
  return Json(200, body + "}");
}

}  // namespace adlik::http
